"""Workflow templates: the stages, checkpoints and SBR settings of each product, as YAML files.

An office adds or changes a template by dropping a `*.yaml` file in the templates folder (by
default `config/workflows/` in this package) — no code. Each file holds one template; `version`
goes up when the content changes, and a case keeps the version it started with. Files are read
with `yaml.safe_load` and validated here; every problem is reported in one `WorkflowTemplateError`
whose lines name the file, the stage (by code and position, counting from 1) and the field.
"""

from __future__ import annotations

import string
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator
from pydantic_core import ErrorDetails

from sbrflow.domain.approval import Presentation
from sbrflow.domain.client_message import PLACEHOLDERS
from sbrflow.domain.enums import Product, Role
from sbrflow.domain.errors import WorkflowTemplateError

DEFAULT_DIRECTORY = Path(__file__).with_name("workflows")
# PLACEHOLDERS (domain.client_message): what a client message may refer to.
PRIMARY_CONTACT = "primary"

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, Field(min_length=1)]


class StartMode(StrEnum):
    """Whether a planned case starts its first stage at once or waits for a person to start it."""

    ON_CREATION = "on_creation"
    MANUAL = "manual"


class _Frozen(BaseModel):
    # Unknown keys are errors: a typo such as `mandatroy:` must not silently become the default.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Checkpoint(_Frozen):
    """An item a team member ticks in a stage; a mandatory one blocks completing the stage."""

    text: Text
    mandatory: StrictBool = False


class Stage(_Frozen):
    """One step of a case, done by the team member who holds `role` for the client."""

    code: Code
    name: Text
    role: Role
    checkpoints: tuple[Checkpoint, ...] = ()


class SbrSettings(_Frozen):
    """What happens after the last stage: on whose behalf, to whom and how the return goes out."""

    on_behalf_of: Role = Role.RELATIEBEHEERDER
    forward_to_client: StrictBool
    presentation: Presentation
    recipient: Text = Field(description="a contact function such as DGA, or 'primary' for the primary contact")
    message: Text
    close_automatically: StrictBool
    plan_next_on_close: StrictBool

    @field_validator("message")
    @classmethod
    def _known_placeholders(cls, message: str) -> str:
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(message) if name is not None]
        except ValueError as exc:  # a lone { or }
            raise ValueError(f"braces do not pair up ({exc}); write {{{{ or }}}} for a literal brace") from None
        allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
        for name in fields:
            # Only bare names: `{client_name.__class__}` or `{0}` must not reach str.format.
            if name not in PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{name}}}; use {allowed}")
        return message

    def render_message(self, **values: str) -> str:
        """The message with its placeholders filled in (every name in PLACEHOLDERS)."""
        used = {name for _, name, _, _ in string.Formatter().parse(self.message) if name is not None}
        missing = used - values.keys()
        if missing:
            raise ValueError(f"render_message needs {', '.join(sorted(missing))}")
        return self.message.format(**values)


class WorkflowTemplate(_Frozen):
    """A product's workflow: ordered stages, how a case starts, and the SBR settings."""

    code: Code
    version: Annotated[StrictInt, Field(ge=1)]
    name: Text
    product: Product
    start_mode: StartMode
    stages: tuple[Stage, ...]
    sbr: SbrSettings

    @field_validator("stages")
    @classmethod
    def _stages_with_unique_codes(cls, stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
        if not stages:
            raise ValueError("a template needs at least one stage")
        seen: set[str] = set()
        for stage in stages:
            if stage.code in seen:
                raise ValueError(f"stage code {stage.code!r} is used twice; each stage needs its own code")
            seen.add(stage.code)
        return stages

    def required_roles(self) -> frozenset[Role]:
        """Every role a client needs a team member for before a case of this template can run."""
        return frozenset(stage.role for stage in self.stages) | {self.sbr.on_behalf_of}

    def stage(self, code: str) -> Stage:
        """The stage with this code."""
        for stage in self.stages:
            if stage.code == code:
                return stage
        raise KeyError(f"template {self.code} v{self.version} has no stage {code!r}")


def _where(loc: tuple[Any, ...], raw: Any) -> str:
    """Turn a pydantic error location into 'stage 'x' (#2), field 'checkpoints #1 → mandatory''."""
    parts = list(loc)
    prefix = ""
    if len(parts) >= 2 and parts[0] == "stages" and isinstance(parts[1], int):
        index = parts[1]
        stages = raw.get("stages") if isinstance(raw, dict) else None
        stage = stages[index] if isinstance(stages, list) and index < len(stages) else None
        code = stage.get("code") if isinstance(stage, dict) else None
        prefix = f"stage {code!r} (#{index + 1})" if code else f"stage #{index + 1}"
        parts = parts[2:]
    elif len(parts) >= 1 and parts[0] == "sbr":
        prefix = "section 'sbr'"
        parts = parts[1:]
    field = " → ".join(f"#{p + 1}" if isinstance(p, int) else str(p) for p in parts)
    if not field:
        return prefix or "template"
    return f"{prefix}, field '{field}'" if prefix else f"field '{field}'"


def _message(error: ErrorDetails) -> str:
    if error["type"] == "value_error" and "ctx" in error:  # our own validators: drop pydantic's "Value error, "
        return str(error["ctx"]["error"])
    return error["msg"]


def load_template(path: Path | str) -> WorkflowTemplate:
    """Read and validate one template file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkflowTemplateError(f"{path}: cannot read the file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorkflowTemplateError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise WorkflowTemplateError(f"{path}: expected a mapping with code, version, name, … at the top")
    try:
        return WorkflowTemplate.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: {_where(e['loc'], raw)}: {_message(e)}" for e in exc.errors()]
        raise WorkflowTemplateError("\n".join(lines)) from None


def load_templates(directory: Path | str | None = None) -> dict[str, WorkflowTemplate]:
    """All templates in the folder (default: the package's config/workflows), by code."""
    folder = Path(directory) if directory is not None else DEFAULT_DIRECTORY
    if not folder.is_dir():
        raise WorkflowTemplateError(f"{folder}: the workflow templates folder does not exist")
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise WorkflowTemplateError(f"{folder}: no workflow templates (*.yaml) in this folder")
    templates: dict[str, WorkflowTemplate] = {}
    origin: dict[str, Path] = {}
    problems: list[str] = []
    for file in files:
        try:
            template = load_template(file)
        except WorkflowTemplateError as exc:
            problems.append(str(exc))
            continue
        if template.code in templates:
            problems.append(f"{file}: field 'code': {template.code!r} is already defined in {origin[template.code]}")
            continue
        templates[template.code], origin[template.code] = template, file
    if problems:
        raise WorkflowTemplateError("\n".join(problems))
    return dict(sorted(templates.items()))

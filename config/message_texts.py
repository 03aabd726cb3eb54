"""Message texts: per reason a subject, a plain-text and an HTML body, as Jinja2 templates.

The defaults (Dutch) are in `config/messages/` of this package: `<reason>.subject.j2`, `<reason>.txt.j2`,
`<reason>.html.j2`. An office overrides any of them by putting a file of the same name in the folder
SBRFLOW_MESSAGES_DIR; the files it does not have come from the defaults. Every template is parsed when
the texts load, and a placeholder the reason does not provide is an error naming the file — so a typo
fails at start-up, not in the middle of a reminder run. Subjects may only use placeholders that are
never personal data (product, period, case number, counts, dates): a subject line is shown in mail
server logs and on lock screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sbrflow.domain.errors import ConfigurationError
from sbrflow.domain.messages import MessageReason

DEFAULT_DIRECTORY = Path(__file__).with_name("messages")
PARTS = ("subject", "txt", "html")

_CLIENT = {"office_name", "recipient_name", "client_name", "product_name", "period_label", "deadline", "case_ref"}
_STAFF_CASE = {"office_name", "member_name", "client_name", "client_number", "product_name", "period_label",
               "case_ref"}
# What each reason's templates may refer to.
PLACEHOLDERS: dict[MessageReason, frozenset[str]] = {
    MessageReason.APPROVAL_REQUEST: frozenset(_CLIENT | {"expires_on", "sbr_message", "approval_url", "presentation"}),
    MessageReason.CLIENT_INFORMATION: frozenset(_CLIENT | {"sbr_message"}),
    MessageReason.CLIENT_REMINDER: frozenset(_CLIENT | {"reminder_number", "reminder_max", "requested_on",
                                                        "expires_on", "presentation"}),
    MessageReason.ESCALATION: frozenset(_STAFF_CASE | {"deadline", "days_left", "case_state"}),
    MessageReason.STAGE_DIGEST: frozenset({"office_name", "member_name", "stages", "count", "run_date"}),
    MessageReason.STAGE_ASSIGNED: frozenset(_STAFF_CASE | {"stage_name"}),
    MessageReason.SUBMISSION_FAILED: frozenset(_STAFF_CASE | {"error"}),
}
# Placeholders a subject line may use: none of them is personal data.
SUBJECT_SAFE = frozenset({"office_name", "presentation", "product_name", "period_label", "case_ref", "count",
                          "run_date", "reminder_number", "reminder_max", "deadline", "days_left", "stage_name",
                          "expires_on"})

_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december")


class MessageTemplateError(ConfigurationError):
    """A message text that cannot be used; the message names the file and what is wrong."""


def dutch_date(value: date | None) -> str:
    """A date as a Dutch reader writes it: `31 december 2026`."""
    return "" if value is None else f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


@dataclass(frozen=True)
class RenderedMessage:
    """A message's subject and bodies, ready to go into the outbox."""

    subject: str
    body_text: str
    body_html: str


class MessageTexts:
    """The loaded, checked templates of every reason."""

    def __init__(self, directory: Path | None = None) -> None:
        import jinja2
        from jinja2 import meta

        self.directory = directory
        folders = [str(directory)] if directory else []
        loader = jinja2.FileSystemLoader([*folders, str(DEFAULT_DIRECTORY)])
        self._text_env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined,
                                            keep_trailing_newline=True, autoescape=False)
        self._html_env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=True)
        self._templates: dict[tuple[MessageReason, str], Any] = {}
        problems = []
        if directory is not None and not Path(directory).is_dir():
            raise MessageTemplateError(f"SBRFLOW_MESSAGES_DIR={directory}: not a folder")
        for reason in MessageReason:
            allowed = PLACEHOLDERS[reason]
            for part in PARTS:
                name = f"{reason.value}.{part}.j2"
                env = self._html_env if part == "html" else self._text_env
                try:
                    source, filename, _ = loader.get_source(env, name)
                    used = meta.find_undeclared_variables(env.parse(source))
                    template = env.get_template(name)
                except jinja2.TemplateNotFound:
                    problems.append(f"{name}: missing")
                    continue
                except jinja2.TemplateSyntaxError as exc:
                    problems.append(f"{exc.filename or name}, line {exc.lineno}: {exc.message}")
                    continue
                unknown = sorted(used - allowed)
                if unknown:
                    problems.append(f"{filename}: unknown placeholder(s) {', '.join(unknown)}; "
                                    f"{reason.value} provides {', '.join(sorted(allowed))}")
                if part == "subject":
                    personal = sorted((used & allowed) - SUBJECT_SAFE)
                    if personal:
                        problems.append(f"{filename}: a subject may not contain {', '.join(personal)} "
                                        f"(personal data); use {', '.join(sorted(SUBJECT_SAFE & allowed))}")
                self._templates[(reason, part)] = template
        if problems:
            raise MessageTemplateError("message texts cannot be used:\n" + "\n".join(problems))

    def render(self, reason: MessageReason, values: dict[str, Any]) -> RenderedMessage:
        """The subject (one line) and both bodies of a message of this reason."""
        values = {"office_name": _office_name(), **values}
        subject = self._templates[(reason, "subject")].render(values)
        return RenderedMessage(
            subject=" ".join(subject.split())[:300],
            body_text=self._templates[(reason, "txt")].render(values),
            body_html=self._templates[(reason, "html")].render(values),
        )


def _office_name() -> str:
    from sbrflow.config.settings import get_settings

    return getattr(get_settings(), "office_name", None) or "Uw administratiekantoor"


@lru_cache(maxsize=4)
def _texts_for(directory: Path | None) -> MessageTexts:
    return MessageTexts(directory)


def get_message_texts() -> MessageTexts:
    """The texts for SBRFLOW_MESSAGES_DIR (loaded and checked once per folder)."""
    from sbrflow.config.settings import get_settings

    return _texts_for(get_settings().messages_dir)

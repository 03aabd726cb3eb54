"""Workflow templates: the shipped ones load, and a broken file is named with stage and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sbrflow.config.workflows import (
    DEFAULT_DIRECTORY,
    Presentation,
    StartMode,
    WorkflowTemplate,
    load_template,
    load_templates,
)
from sbrflow.domain.enums import Product, Role
from sbrflow.domain.errors import SbrflowError, WorkflowTemplateError

VALID = {
    "code": "vat_return",
    "version": 1,
    "name": "Aangifte omzetbelasting",
    "product": "vat_return",
    "start_mode": "on_creation",
    "stages": [
        {
            "code": "verwerken",
            "name": "Administratie bijwerken",
            "role": "administratie",
            "checkpoints": [{"text": "Bankmutaties verwerkt", "mandatory": True}],
        },
        {
            "code": "beoordelen",
            "name": "Beoordeling",
            "role": "accountant",
            "checkpoints": [
                {"text": "Aansluiting grootboek BTW-rekening met aangifte", "mandatory": True},
                {"text": "Controle ICP-opgaaf", "mandatory": False},
            ],
        },
    ],
    "sbr": {
        "forward_to_client": True,
        "presentation": "approval",
        "recipient": "primary",
        "message": "Beste {client_name}, de aangifte over {period_label} graag vóór {deadline} akkoord.",
        "close_automatically": True,
        "plan_next_on_close": True,
    },
}


def _write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _broken(**changes: object) -> dict:
    """A copy of VALID with dotted paths replaced: {'stages.1.role': 'boekhouder'}."""
    data = yaml.safe_load(yaml.safe_dump(VALID))
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        elif value is None:
            del node[last]
        else:
            node[last] = value
    return data


def test_the_shipped_templates_cover_every_product_with_its_start_mode() -> None:
    templates = load_templates()
    assert set(templates) == {p.value for p in Product}
    assert {code: t.start_mode for code, t in templates.items()} == {
        "vat_return": StartMode.ON_CREATION,
        "payroll_return": StartMode.ON_CREATION,
        "income_tax": StartMode.MANUAL,
        "corporate_tax": StartMode.MANUAL,
        "annual_accounts": StartMode.MANUAL,
    }
    for code, template in templates.items():
        assert template.product == code
        assert template.version >= 1
        assert all(stage.checkpoints for stage in template.stages)
        assert any(c.mandatory for stage in template.stages for c in stage.checkpoints)


def test_the_default_folder_is_the_packages_config_workflows() -> None:
    assert DEFAULT_DIRECTORY.name == "workflows" and DEFAULT_DIRECTORY.parent.name == "config"
    assert load_templates(DEFAULT_DIRECTORY) == load_templates()


def test_required_roles_are_the_stage_roles_and_the_role_the_return_is_sent_for() -> None:
    vat = load_templates()["vat_return"]
    assert vat.required_roles() == {Role.ADMINISTRATIE, Role.ACCOUNTANT, Role.RELATIEBEHEERDER}
    payroll = load_templates()["payroll_return"]
    assert Role.SALARIS in payroll.required_roles()


def test_sbr_settings_default_to_sending_on_behalf_of_the_relatiebeheerder(tmp_path: Path) -> None:
    template = load_template(_write(tmp_path, "vat_return.yaml", VALID))
    assert template.sbr.on_behalf_of is Role.RELATIEBEHEERDER
    assert template.sbr.presentation is Presentation.APPROVAL
    assert [s.code for s in template.stages] == ["verwerken", "beoordelen"]  # order kept
    assert template.stage("beoordelen").checkpoints[0].mandatory is True


def test_the_message_renders_with_the_case_values() -> None:
    sbr = load_templates()["vat_return"].sbr
    text = sbr.render_message(client_name="Bakkerij De Vries B.V.", period_label="2026-Q1",
                              product="Aangifte omzetbelasting", deadline="30 april 2026")
    assert "Bakkerij De Vries B.V." in text and "2026-Q1" in text and "30 april 2026" in text
    with pytest.raises(ValueError, match="needs deadline"):
        sbr.render_message(client_name="x", period_label="y", product="z")


def test_an_office_adds_a_template_by_dropping_a_file_in_the_folder(tmp_path: Path) -> None:
    _write(tmp_path, "vat_return.yaml", VALID)
    extra = _broken(code="vat_return_groot", name="Aangifte OB grote klanten")
    _write(tmp_path, "vat_return_groot.yml", extra)
    assert set(load_templates(tmp_path)) == {"vat_return", "vat_return_groot"}


# --- errors name the file, the stage and the field -------------------------------------------


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"stages.1.role": "boekhouder"}, "stage 'beoordelen' (#2), field 'role': Input should be 'relatiebeheerder'"),
        ({"stages.1.checkpoints.0.mandatory": "misschien"}, "stage 'beoordelen' (#2), field 'checkpoints → #1 → mandatory'"),
        ({"stages.0.checkpoints.0.mandatroy": True},
         "stage 'verwerken' (#1), field 'checkpoints → #1 → mandatroy': Extra inputs"),
        ({"stages.0.name": None}, "stage 'verwerken' (#1), field 'name': Field required"),
        ({"stages.1.code": "Beoordelen!"}, "stage 'Beoordelen!' (#2), field 'code': String should match pattern"),
        ({"stages.1.code": "verwerken"}, "field 'stages': stage code 'verwerken' is used twice"),
        ({"stages": []}, "field 'stages': a template needs at least one stage"),
        ({"version": "1"}, "field 'version': Input should be a valid integer"),
        ({"version": 0}, "field 'version': Input should be greater than or equal to 1"),
        ({"start_mode": "automatic"}, "field 'start_mode': Input should be 'on_creation' or 'manual'"),
        ({"product": "vat"}, "field 'product': Input should be 'vat_return'"),
        ({"sbr.presentation": "email"},
         "section 'sbr', field 'presentation': Input should be 'approval', 'signing' or 'information'"),
        ({"sbr.on_behalf_of": "partner"}, "section 'sbr', field 'on_behalf_of'"),
        ({"sbr.message": "Beste {klant}"},
         "section 'sbr', field 'message': unknown placeholder {klant}; "
         "use {amount_due}, {approval_url}, {client_name}"),
        ({"sbr.message": "Beste {client_name.__class__}"}, "unknown placeholder {client_name.__class__}"),
        ({"sbr.message": "Beste {0}"}, "unknown placeholder {0}"),
        ({"sbr.message": "Beste {client_name"}, "section 'sbr', field 'message': braces do not pair up"),
        ({"sbr.close_automatically": None}, "section 'sbr', field 'close_automatically': Field required"),
    ],
)
def test_an_invalid_template_names_the_file_the_stage_and_the_field(tmp_path: Path, changes: dict, says: str) -> None:
    path = _write(tmp_path, "vat_return.yaml", _broken(**changes))
    with pytest.raises(WorkflowTemplateError) as error:
        load_templates(tmp_path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert says in message
    assert isinstance(error.value, SbrflowError)


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _broken(**{"stages.0.role": "x", "sbr.presentation": "y"}))
    _write(tmp_path, "b.yaml", _broken(code="other", version=-1))
    with pytest.raises(WorkflowTemplateError) as error:
        load_templates(tmp_path)
    lines = str(error.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(str(tmp_path / "a.yaml")) and "stage 'verwerken' (#1), field 'role'" in lines[0]
    assert lines[1].startswith(str(tmp_path / "a.yaml")) and "section 'sbr', field 'presentation'" in lines[1]
    assert lines[2].startswith(str(tmp_path / "b.yaml")) and "field 'version'" in lines[2]


def test_yaml_that_does_not_parse_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "vat_return.yaml", "code: vat_return\nstages:\n  - code: [unclosed\n")
    with pytest.raises(WorkflowTemplateError, match=rf"^{path}: not valid YAML at line \d+, column \d+"):
        load_template(path)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "vat_return.yaml", "- just\n- a list\n")
    with pytest.raises(WorkflowTemplateError, match="expected a mapping"):
        load_template(path)


def test_two_files_with_the_same_code_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", VALID)
    _write(tmp_path, "b.yaml", VALID)
    with pytest.raises(WorkflowTemplateError, match=r"b\.yaml: field 'code': 'vat_return' is already defined in .*a\.yaml"):
        load_templates(tmp_path)


def test_a_missing_or_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowTemplateError, match="does not exist"):
        load_templates(tmp_path / "nope")
    with pytest.raises(WorkflowTemplateError, match="no workflow templates"):
        load_templates(tmp_path)


def test_a_template_is_immutable() -> None:
    template: WorkflowTemplate = load_templates()["vat_return"]
    with pytest.raises((AttributeError, ValueError)):  # a frozen model refuses the assignment
        template.version = 2  # type: ignore[misc]

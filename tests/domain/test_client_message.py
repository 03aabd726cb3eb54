"""Client message placeholders: Dutch amounts, grouped payment reference, dates; unknown names fail at load."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from sbrflow.config.workflows import DEFAULT_DIRECTORY, load_template
from sbrflow.domain.client_message import (
    PLACEHOLDERS,
    MessageFacts,
    amount_due_text,
    format_euros,
    placeholder_values,
)
from sbrflow.domain.errors import WorkflowTemplateError


@pytest.mark.parametrize("amount, text", [
    (Decimal("1234"), "€ 1.234"),
    (Decimal("1234567"), "€ 1.234.567"),
    (Decimal("0"), "€ 0"),
    (Decimal("12.5"), "€ 12,50"),
    (Decimal("-3240"), "€ -3.240"),
])
def test_amounts_are_written_the_dutch_way(amount, text):
    assert format_euros(amount) == text


def test_the_amount_due_says_whether_to_pay_or_to_receive():
    assert amount_due_text(Decimal("1234")) == "€ 1.234 te betalen"
    assert amount_due_text(Decimal("-56")) == "€ 56 terug te ontvangen"
    assert amount_due_text(Decimal("0")) == "niets te betalen"


def test_every_placeholder_gets_a_value_and_the_payment_reference_is_grouped():
    values = placeholder_values(MessageFacts(
        client_name="Bakkerij B.V.", period_label="2021-10", product="vat_return", deadline=date(2021, 11, 30),
        amount_due=Decimal("3240"), payment_reference="1001000044132100"[:16], approval_url="https://k.nl/a/x"))
    assert set(values) == PLACEHOLDERS
    assert values["amount_due"] == "€ 3.240 te betalen"
    assert values["payment_reference"] == "1001 0000 4413 2100"
    assert values["deadline"] == "30 november 2021"
    assert values["product"] == "aangifte omzetbelasting"


def test_a_template_naming_an_unknown_placeholder_fails_at_load_with_file_field_and_name(tmp_path: Path):
    raw = yaml.safe_load((DEFAULT_DIRECTORY / "vat_return.yaml").read_text(encoding="utf-8"))
    raw["sbr"]["message"] = "Te betalen: {amount_due}, kenmerk {payment_reference}, link {approval_link}"
    path = tmp_path / "vat_return.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(WorkflowTemplateError) as error:
        load_template(path)
    message = str(error.value)
    assert str(path) in message and "field 'message'" in message and "{approval_link}" in message


def test_the_new_placeholders_are_accepted_and_rendered(tmp_path: Path):
    raw = yaml.safe_load((DEFAULT_DIRECTORY / "vat_return.yaml").read_text(encoding="utf-8"))
    raw["sbr"]["message"] = "{amount_due} met kenmerk {payment_reference}: {approval_url}"
    path = tmp_path / "vat_return.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    template = load_template(path)
    text = template.sbr.render_message(amount_due="€ 1 te betalen", payment_reference="1 2 3 4", approval_url="u")
    assert text == "€ 1 te betalen met kenmerk 1 2 3 4: u"

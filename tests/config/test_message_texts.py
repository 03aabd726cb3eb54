"""Message texts: Dutch defaults per reason, an office's own files, placeholders checked when they load."""

from __future__ import annotations

import pytest

from sbrflow.config.message_texts import DEFAULT_DIRECTORY, MessageTemplateError, MessageTexts, dutch_date
from sbrflow.domain.messages import MessageReason


def test_every_reason_has_dutch_default_texts_that_load():
    texts = MessageTexts()
    rendered = texts.render(MessageReason.ESCALATION, {
        "member_name": "Anna", "client_name": "Bakkerij B.V.", "client_number": "1001",
        "product_name": "aangifte omzetbelasting", "period_label": "2026-Q3", "deadline": "2 november 2026",
        "days_left": 4, "case_state": "bij de klant", "case_ref": 7})
    assert rendered.subject.startswith("Escalatie: aangifte omzetbelasting 2026-Q3 (dossier 7)")
    assert "De termijn verloopt op 2 november 2026" in rendered.body_text
    for reason in MessageReason:
        for part in ("subject", "txt", "html"):
            assert (DEFAULT_DIRECTORY / f"{reason.value}.{part}.j2").is_file()


def test_an_office_file_replaces_only_that_text(tmp_path):
    (tmp_path / "escalation.subject.j2").write_text("LET OP: {{ product_name }} {{ period_label }}")
    texts = MessageTexts(tmp_path)
    rendered = texts.render(MessageReason.ESCALATION, {
        "member_name": "Anna", "client_name": "X", "client_number": "1", "product_name": "jaarrekening",
        "period_label": "2025", "deadline": "-", "days_left": 1, "case_state": "-", "case_ref": 1})
    assert rendered.subject == "LET OP: jaarrekening 2025"
    assert "Beste Anna" in rendered.body_text  # the default body


def test_an_unknown_placeholder_is_an_error_naming_the_file_when_the_texts_load(tmp_path):
    (tmp_path / "stage_digest.txt.j2").write_text("Hallo {{ member_nmae }}")
    with pytest.raises(MessageTemplateError) as raised:
        MessageTexts(tmp_path)
    assert "stage_digest.txt.j2" in str(raised.value) and "member_nmae" in str(raised.value)


def test_personal_data_in_a_subject_is_refused(tmp_path):
    (tmp_path / "client_reminder.subject.j2").write_text("Herinnering voor {{ client_name }}")
    with pytest.raises(MessageTemplateError, match="client_reminder.subject.j2: a subject may not contain client_name"):
        MessageTexts(tmp_path)


def test_a_syntax_error_names_file_and_line(tmp_path):
    (tmp_path / "escalation.html.j2").write_text("<p>\n{% if x %}</p>")
    with pytest.raises(MessageTemplateError, match="escalation.html.j2"):
        MessageTexts(tmp_path)


def test_html_bodies_escape_what_they_are_given():
    rendered = MessageTexts().render(MessageReason.STAGE_ASSIGNED, {
        "member_name": "Anna", "client_name": "<script>x</script>", "client_number": "1",
        "product_name": "p", "period_label": "2026-01", "stage_name": "s", "case_ref": 1})
    assert "<script>" not in rendered.body_html and "&lt;script&gt;" in rendered.body_html
    assert "<script>x</script>" in rendered.body_text


def test_dates_are_written_in_dutch():
    from datetime import date

    assert dutch_date(date(2026, 3, 1)) == "1 maart 2026"

"""`sources add` refuses what cannot be stored or must not be shown: over-long names, control characters, credentials."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from sbrflow.models.db import unit_of_work
from sbrflow.models.returns import SourcePackage
from sbrflow.tasks.intake import SourceConfigError, add_source


def _count() -> int:
    with unit_of_work() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(SourcePackage))


@pytest.mark.parametrize(("name", "url", "message"), [
    ("n" * 100, "http://127.0.0.1:1/api", "NAME is 100 characters long; at most 64 fit"),
    ("nul\x00name", "http://127.0.0.1:1/api", "NAME contains a control character that cannot be stored (U+0000 (NUL))"),
    ("ok", "http://127.0.0.1:1/" + "p" * 600, "--url is 619 characters long; at most 500 fit"),
])
def test_a_source_that_cannot_be_stored_is_refused_with_the_reason_on_both_databases(db, name, url, message):
    with pytest.raises(SourceConfigError) as refused:
        add_source(name, url=url)
    assert str(refused.value) == message
    assert _count() == 0


@pytest.mark.parametrize("url", ["http://user:secret@127.0.0.1:1/api", "https://token@example.test/api"])
def test_credentials_in_a_source_url_are_refused_and_not_repeated(db, url):
    with pytest.raises(SourceConfigError) as refused:
        add_source("nmbrs", url=url)
    assert "secret" not in str(refused.value) and "token@" not in str(refused.value)
    assert "--token-env" in str(refused.value)
    assert _count() == 0


def test_a_url_with_credentials_stored_before_they_were_refused_is_shown_masked(db):
    from typer.testing import CliRunner

    from sbrflow.cli.main import app
    from sbrflow.integrations.source_packages.http import _path

    add_source("nmbrs", url="http://127.0.0.1:1/api")
    with unit_of_work() as session:
        session.execute(sa.update(SourcePackage).values(url="http://user:secret@127.0.0.1:1/api"))
    listed = CliRunner().invoke(app, ["sources", "list", "--json"])
    assert "secret" not in listed.output and "user:" not in listed.output
    assert json.loads(listed.output)[0]["location"] == "http://•••@127.0.0.1:1/api"
    assert _path("http://user:secret@127.0.0.1:1/api/returns?limit=1") == "http://•••@127.0.0.1:1/api/returns"

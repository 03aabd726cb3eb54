"""A drop folder reads only its own regular files: symbolic links (and what they point at) are never followed."""

from __future__ import annotations

import os
from datetime import date

import pytest
import sqlalchemy as sa

from sbrflow.integrations.sbr.generate import vat_return_xbrl
from sbrflow.integrations.source_packages import PermanentSourceError
from sbrflow.integrations.source_packages.folder import FolderSourceClient
from sbrflow.models.db import unit_of_work
from sbrflow.models.returns import TaxReturnDocument
from sbrflow.tasks.intake import add_source, poll_source_once, read_document_bytes


def _stored() -> list[bytes]:
    with unit_of_work() as session:
        return [read_document_bytes(doc) for doc in session.scalars(sa.select(TaxReturnDocument))]


def test_a_symlink_in_the_drop_folder_is_not_followed_and_its_target_never_stored(db, tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    secret_bytes = vat_return_xbrl("001000044B37", date(2025, 2, 1), date(2025, 2, 28))  # readable as a return
    (secret / "app-config.xml").write_bytes(secret_bytes)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.symlink(secret / "app-config.xml", inbox / "evil.xml")
    os.symlink(secret, inbox / "folder.xml")
    os.mkfifo(inbox / "pipe.xml")
    honest = vat_return_xbrl("001000044B37", date(2025, 1, 1), date(2025, 1, 31))
    (inbox / "honest.xml").write_bytes(honest)
    add_source("scans", folder=str(inbox))
    summary = poll_source_once("scans")
    assert (summary["new"], summary["rejected"]) == (1, 0)
    assert _stored() == [honest]
    assert (inbox / "evil.xml").is_symlink() and (secret / "app-config.xml").read_bytes() == secret_bytes


def test_a_file_swapped_for_a_symlink_after_listing_is_refused(tmp_path):
    (tmp_path / "secret.xml").write_bytes(b"<secret/>")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.xml").write_bytes(b"<xbrl/>")
    client = FolderSourceClient("scans", inbox)
    [ref] = client.list_returns(None, 10).items
    (inbox / "a.xml").unlink()
    os.symlink(tmp_path / "secret.xml", inbox / "a.xml")
    with pytest.raises(PermanentSourceError, match="replaced by a link"):
        client.fetch(ref)

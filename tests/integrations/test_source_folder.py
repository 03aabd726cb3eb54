"""A folder drop lists waiting .xbrl/.xml files and moves them away atomically, never deleting one."""

from __future__ import annotations

import pytest

from sbrflow.integrations.source_packages import PermanentSourceError, TransientSourceError
from sbrflow.integrations.source_packages.folder import FolderSourceClient, move_without_overwrite


def test_only_finished_return_files_are_listed_in_name_order(tmp_path):
    for name in ("b.xml", "a.XBRL", ".hidden.xml", "c.xml.part", "notes.txt"):
        (tmp_path / name).write_bytes(b"<x/>" + name.encode())
    (tmp_path / "processed").mkdir()
    page = FolderSourceClient("drop", tmp_path).list_returns(None, 10)
    assert [ref.name for ref in page.items] == ["a.XBRL", "b.xml"]
    assert not page.has_more


def test_the_reference_changes_when_a_file_of_the_same_name_has_other_content(tmp_path):
    (tmp_path / "r.xml").write_bytes(b"<one/>")
    first = FolderSourceClient("drop", tmp_path).list_returns(None, 10).items[0]
    (tmp_path / "r.xml").write_bytes(b"<two/>")
    second = FolderSourceClient("drop", tmp_path).list_returns(None, 10).items[0]
    assert first.reference != second.reference and first.reference.startswith("r.xml#")


def test_pages_do_not_offer_a_file_twice_in_one_poll(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.xml").write_bytes(b"<x%d/>" % i)
    client = FolderSourceClient("drop", tmp_path)
    first, second, third = (client.list_returns(None, 2) for _ in range(3))
    assert [len(p.items) for p in (first, second, third)] == [2, 2, 1]
    assert (first.has_more, third.has_more) == (True, False)


def test_acknowledged_files_move_to_processed_or_rejected(tmp_path):
    (tmp_path / "good.xml").write_bytes(b"<good/>")
    (tmp_path / "bad.xml").write_bytes(b"<bad/>")
    client = FolderSourceClient("drop", tmp_path)
    refs = {ref.name: ref for ref in client.list_returns(None, 10).items}
    assert client.fetch(refs["good.xml"]) == b"<good/>"
    client.acknowledge([(refs["good.xml"], True), (refs["bad.xml"], False)])
    assert (tmp_path / "processed" / "good.xml").read_bytes() == b"<good/>"
    assert (tmp_path / "rejected" / "bad.xml").read_bytes() == b"<bad/>"
    assert not (tmp_path / "good.xml").exists() and not (tmp_path / "bad.xml").exists()


def test_a_move_never_overwrites_a_file_already_there(tmp_path):
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "r.xml").write_bytes(b"old")
    (tmp_path / "r.xml").write_bytes(b"new")
    target = move_without_overwrite(tmp_path / "r.xml", tmp_path / "processed")
    assert target.name == "r.1.xml" and target.read_bytes() == b"new"
    assert (tmp_path / "processed" / "r.xml").read_bytes() == b"old"
    assert move_without_overwrite(tmp_path / "r.xml", tmp_path / "processed") is None  # a rerun: already moved


def test_a_file_changed_between_listing_and_reading_is_transient(tmp_path):
    (tmp_path / "r.xml").write_bytes(b"<first/>")
    client = FolderSourceClient("drop", tmp_path)
    ref = client.list_returns(None, 10).items[0]
    (tmp_path / "r.xml").write_bytes(b"<second, still being written")
    with pytest.raises(TransientSourceError, match="changed"):
        client.fetch(ref)


def test_a_missing_folder_is_permanent(tmp_path):
    with pytest.raises(PermanentSourceError, match="does not exist"):
        FolderSourceClient("drop", tmp_path / "nope").list_returns(None, 10)

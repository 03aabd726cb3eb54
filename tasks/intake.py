"""Poll one source package: fetch every document since its cursor, store each exactly once.

A page at a time: fetch its documents, parse them, then in ONE transaction insert the new ones
(received, or rejected with the reason — never dropped) and move the source's cursor past them.
Killed at any moment, the next run starts from the last committed cursor; whatever it sees
again is recognised by (source, reference) or by SHA-256 and counted as a duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from prefect import task
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

from sbrflow.config.settings import get_settings
from sbrflow.domain.errors import ConfigurationError, NotFound
from sbrflow.integrations.sbr.errors import InvalidReturnDocument
from sbrflow.integrations.sbr.parser import parse_return
from sbrflow.integrations.source_packages import (
    Page,
    ReturnRef,
    SourcePackageClient,
    TransientSourceError,
    open_source,
)
from sbrflow.models.db import unit_of_work
from sbrflow.models.limits import text_lengths, too_long_or_unstorable
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument
from sbrflow.tasks.locks import LockBusy, exclusive
from sbrflow.tasks.shutdown import check_stop, stop_requested


class SourceNotFound(NotFound):
    """No source package of that name is configured."""


class SourceConfigError(ConfigurationError):
    """A source package cannot be configured as asked; the message says why."""


@dataclass
class PageResult:
    """What storing one page did; `acks` tell the source which documents are done."""

    new: int = 0
    rejected: int = 0
    duplicate: int = 0
    cursor_moved_elsewhere: bool = False
    acks: list[tuple[ReturnRef, bool]] = field(default_factory=list)


def source_lock_name(source: str) -> str:
    """The database lock that keeps overlapping runs off one source package (see tasks/locks.py)."""
    return "source-package:" + source


def _logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


def _only_transient(_task, _task_run, state) -> bool:
    # Retry what may pass by itself; a wrong token or URL fails at once so a person is alerted.
    return isinstance(state.result(raise_on_failure=False), TransientSourceError)


@task(name="poll-source", task_run_name="poll-{name}", retries=3, retry_delay_seconds=[10, 20, 40],
      retry_condition_fn=_only_transient)
def poll_source(name: str, page_size: int | None = None, max_pages: int | None = None) -> dict:
    """Fetch and store everything the source package has delivered since its cursor.

    One run at a time per source: a second one waits up to SBRFLOW_LOCK_WAIT seconds, then returns
    status `busy` naming the run that holds the source (a killed run never holds it: tasks/locks.py).
    """
    try:
        with exclusive(source_lock_name(name), what=f"source package {name!r}"):
            return poll_source_once(name, page_size=page_size, max_pages=max_pages)
    except LockBusy as exc:
        _logger().warning("%s", exc)
        return {"source": name, "new": 0, "duplicate": 0, "rejected": 0, "pages": 0, "busy": str(exc)}


def poll_source_once(name: str, *, page_size: int | None = None, max_pages: int | None = None) -> dict:
    """The poll itself, without Prefect: page by page until the source has nothing more."""
    settings = get_settings()
    limit = page_size or settings.source_page_size
    log = _logger()
    with unit_of_work() as session:
        source = session.scalars(sa.select(SourcePackage).where(SourcePackage.name == name)).one_or_none()
        if source is None:
            raise SourceNotFound(f"no source package named {name!r} (see: sbrflow sources list)")
        source_id, taxes, cursor = source.id, set(source.tax_list), source.cursor
        config = dict(kind=source.kind.value, url=source.url, folder=source.folder, token_env=source.token_env)
    summary = {"source": name, "new": 0, "duplicate": 0, "rejected": 0, "pages": 0}
    with open_source(name, **config, should_stop=stop_requested.is_set) as client:
        # The generator took the start cursor once; each page then brings its own (B020 is intended).
        for _page, documents, cursor, next_cursor in _pages(client, cursor, limit, max_pages):  # noqa: B020
            check_stop()  # SIGTERM: the pages stored so far stay stored, the cursor covers exactly them
            result = store_page(source_id, cursor, next_cursor, documents, taxes=taxes)
            if result.cursor_moved_elsewhere:
                log.warning("source %s: another run moved the cursor; leaving the rest to it", name)
                break
            client.acknowledge(result.acks)
            summary["pages"] += 1
            summary["cursor"] = next_cursor
            for key in ("new", "duplicate", "rejected"):
                summary[key] += getattr(result, key)
            log.info("source %s page %d: %d new, %d duplicate, %d rejected", name, summary["pages"],
                     result.new, result.duplicate, result.rejected)
    summary.setdefault("cursor", cursor)
    return summary


def _pages(client: SourcePackageClient, cursor: str | None, limit: int, max_pages: int | None
           ) -> Iterator[tuple[Page, list[tuple[ReturnRef, bytes]], str | None, str | None]]:
    """(page, its documents, cursor before, cursor after), reading the next page while this one is stored.

    Listing page N+1 needs only page N's cursor, not its storage, so the download overlaps the
    parsing and the database work. Nothing is committed here: a failure on page N+1 surfaces only
    after page N has been stored, and the stored cursor never runs ahead of the stored documents.
    """

    def load(position: str | None) -> tuple[Page, list[bytes]]:
        check_stop()
        page = client.list_returns(position, limit)
        return page, client.fetch_many(page.items)

    with ThreadPoolExecutor(1, thread_name_prefix="prefetch") as ahead:
        future, count = ahead.submit(load, cursor), 0
        while True:
            page, data = future.result()
            count += 1
            after = page.next_cursor if page.next_cursor is not None else cursor
            last = (not page.has_more or (not page.items and after == cursor)
                    or (max_pages is not None and count >= max_pages))
            if not last:
                future = ahead.submit(load, after)
            yield page, list(zip(page.items, data, strict=True)), cursor, after
            if last:
                return
            cursor = after


def store_page(source_id: int, expected_cursor: str | None, next_cursor: str | None,
               documents: list[tuple[ReturnRef, bytes]], *, taxes: set[str] | None = None) -> PageResult:
    """Insert the page's new documents and move the cursor, in one transaction."""
    settings = get_settings()
    now = datetime.now(UTC)
    result = PageResult()
    rows: dict[str, dict] = {}  # by sha256: the same bytes twice in one page are stored once
    references: set[str] = set()
    for ref, data in documents:
        sha = hashlib.sha256(data).hexdigest()
        if sha in rows or ref.reference in references:
            result.duplicate += 1
            result.acks.append((ref, rows[sha]["status"] is DocumentStatus.RECEIVED if sha in rows else True))
            continue
        references.add(ref.reference)
        rows[sha] = _row(source_id, ref, data, sha, now, taxes, settings)
        rows[sha]["_ref"] = ref
    with unit_of_work() as session:
        known_refs = set(session.scalars(
            sa.select(TaxReturnDocument.source_reference).where(
                TaxReturnDocument.source_package_id == source_id,
                TaxReturnDocument.source_reference.in_([r["source_reference"] for r in rows.values()]),
            )
        )) if rows else set()
        known_shas = dict(session.execute(
            sa.select(TaxReturnDocument.sha256, TaxReturnDocument.status).where(
                TaxReturnDocument.sha256.in_(list(rows))
            )
        ).all()) if rows else {}
        fresh = []
        for sha, row in rows.items():
            ref = row.pop("_ref")
            if sha in known_shas or row["source_reference"] in known_refs:
                # Seen before — under this reference, or the same bytes under another one: not an error.
                result.duplicate += 1
                result.acks.append((ref, known_shas.get(sha, DocumentStatus.RECEIVED) is DocumentStatus.RECEIVED))
                continue
            _store_content(row, settings)
            fresh.append(row)
            accepted = row["status"] is DocumentStatus.RECEIVED
            result.new += accepted
            result.rejected += not accepted
            result.acks.append((ref, accepted))
        if fresh:
            session.execute(_insert_ignoring_duplicates(session), fresh)  # executemany: one cached statement
        moved = session.execute(
            sa.update(SourcePackage)
            .where(SourcePackage.id == source_id, SourcePackage.cursor.is_not_distinct_from(expected_cursor))
            .values(cursor=next_cursor, last_polled_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            session.rollback()
            return PageResult(cursor_moved_elsewhere=True)
    return result


_PARSED_FIELDS = ("tax", "kind", "fiscal_id", "period_start", "period_end", "amount_due", "amount_total",
                  "schema", "software", "message_ref", "document_created_at")


def _row(source_id: int, ref: ReturnRef, data: bytes, sha: str, now: datetime, taxes: set[str] | None,
         settings) -> dict:
    row = {"source_package_id": source_id, "source_reference": ref.reference[:255], "received_at": now,
           "sha256": sha, "size": len(data), "content": data, "content_path": None,
           "status": DocumentStatus.RECEIVED, "reason": None, "reason_code": None,
           **dict.fromkeys(_PARSED_FIELDS)}  # every row the same keys: one multi-row INSERT
    try:
        parsed = parse_return(data, max_bytes=settings.document_max_bytes)
    except InvalidReturnDocument as exc:
        # Kept, never lost: the reason says what is wrong (the parser never quotes employee data).
        return row | {"status": DocumentStatus.REJECTED, "reason": str(exc)[:2000], "reason_code": exc.code}
    row |= {"tax": parsed.tax, "kind": parsed.kind.value, "fiscal_id": parsed.fiscal_id,
            "period_start": parsed.period_start, "period_end": parsed.period_end,
            "amount_due": parsed.amount_due, "amount_total": parsed.amount_total,
            "schema": (parsed.schema or "")[:255] or None, "software": (parsed.software or "")[:120] or None,
            "message_ref": (parsed.message_ref or "")[:120] or None,
            "document_created_at": parsed.created_at.replace(tzinfo=None) if parsed.created_at else None}
    if taxes and parsed.tax.value not in taxes:
        row |= {"status": DocumentStatus.REJECTED, "reason_code": "unexpected_tax",
                "reason": f"a {parsed.tax.value} return, but this source package is configured to deliver "
                          f"{', '.join(sorted(taxes))} only"}
    return row


def _store_content(row: dict, settings) -> None:
    """Large documents go to var/documents/<sha[:2]>/<sha>, written atomically (content-addressed)."""
    if row["size"] <= settings.document_inline_max_bytes:
        return
    relative = Path("documents") / row["sha256"][:2] / row["sha256"]
    target = Path(settings.var_dir) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.part")
        temporary.write_bytes(row["content"])
        os.replace(temporary, target)
    row["content"], row["content_path"] = None, relative.as_posix()


def _insert_ignoring_duplicates(session):
    # A concurrent run may have stored one of them a moment ago: skip it rather than fail the page.
    table = TaxReturnDocument.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


def read_document_bytes(document: TaxReturnDocument) -> bytes:
    """The exact bytes of a stored document, from the database or from var/documents/."""
    if document.content is not None:
        return document.content
    return (Path(get_settings().var_dir) / document.content_path).read_bytes()


_TAXES = {"OB", "LH"}


def add_source(name: str, *, folder: str | None = None, url: str | None = None, token_env: str | None = None,
               taxes: str = "OB,LH") -> tuple[SourcePackage, bool]:
    """Add a source package, or update the one of that name (re-enabling it); returns (row, created)."""
    if bool(folder) == bool(url):
        raise SourceConfigError("give exactly one of --folder DIR or --url URL")
    if url and "@" in urlsplit(url).netloc:
        # It would be shown by `sources list`, in errors, logs and artifacts: never accept it.
        raise SourceConfigError("--url must not hold a user name or password (http://user:pw@…); give the token "
                                "with --token-env VAR instead")
    if url and not url.startswith(("http://", "https://")):
        raise SourceConfigError(f"--url must start with http:// or https://, not {url!r}")
    lengths = text_lengths(SourcePackage)
    for option, column, value in (("NAME", "name", name), ("--url", "url", url),
                                  ("--folder", "folder", _absolute(folder)),
                                  ("--token-env", "token_env", token_env)):
        why = too_long_or_unstorable(value, lengths[column]) if value is not None else None
        if why:
            raise SourceConfigError(f"{option} {why}")
    if folder and token_env:
        raise SourceConfigError("--token-env is for HTTP sources; a folder needs no token")
    wanted = [t.strip().upper() for t in taxes.split(",") if t.strip()]
    if not wanted or set(wanted) - _TAXES:
        raise SourceConfigError(f"--taxes takes OB, LH or OB,LH, not {taxes!r}")
    with unit_of_work() as session:
        row = session.scalars(sa.select(SourcePackage).where(SourcePackage.name == name)).one_or_none()
        created = row is None
        if created:
            row = SourcePackage(name=name)
            session.add(row)
        elif (row.url, row.folder) != (url, _absolute(folder)):
            row.cursor = None  # another feed: its cursor means nothing here (documents stay unique by SHA-256)
        row.kind = SourceKind.FOLDER if folder else SourceKind.HTTP
        row.url, row.folder, row.token_env = url, _absolute(folder), token_env
        row.taxes, row.enabled = ",".join(sorted(set(wanted), key=wanted.index)), True
    return row, created


def shown_url(url: str | None) -> str | None:
    """A source URL as it may be shown: a user name or password (stored before they were refused) masked."""
    if not url or "@" not in urlsplit(url).netloc:
        return url
    parts = urlsplit(url)
    return parts._replace(netloc="•••@" + parts.netloc.rpartition("@")[2]).geturl()


def _absolute(folder: str | None) -> str | None:
    return str(Path(folder).resolve()) if folder else None

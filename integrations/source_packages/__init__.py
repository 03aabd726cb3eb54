"""Source packages: where returns come from (HTTP API or folder drop), behind one interface."""

from __future__ import annotations

from sbrflow.integrations.source_packages.base import (
    Page,
    PermanentSourceError,
    ReturnRef,
    SourcePackageClient,
    SourcePackageError,
    TransientSourceError,
)

__all__ = [
    "Page",
    "PermanentSourceError",
    "ReturnRef",
    "SourcePackageClient",
    "SourcePackageError",
    "TransientSourceError",
    "open_source",
]


def open_source(name: str, kind: str, *, url: str | None = None, folder: str | None = None,
                token_env: str | None = None, should_stop=None) -> SourcePackageClient:
    """A client for a configured source package (kind `http` or `folder`), with the settings' limits."""
    from sbrflow.config.settings import get_settings

    settings = get_settings()
    if kind == "http":
        from sbrflow.integrations.source_packages.http import HttpSourceClient, resolve_token

        if not url:
            raise PermanentSourceError(f"source {name!r} is an HTTP source without a URL")
        return HttpSourceClient(
            name, url, token=resolve_token(token_env), connect_timeout=settings.source_connect_timeout,
            read_timeout=settings.source_read_timeout, retries=settings.source_http_retries,
            backoff=settings.source_http_backoff, max_bytes=settings.document_max_bytes,
            concurrency=settings.source_fetch_concurrency, deadline=settings.source_call_deadline,
            listing_max_bytes=settings.source_listing_max_bytes, retry_after_cap=settings.source_retry_after_max,
            should_stop=should_stop,
        )
    if kind == "folder":
        from sbrflow.integrations.source_packages.folder import FolderSourceClient

        if not folder:
            raise PermanentSourceError(f"source {name!r} is a folder source without a folder")
        return FolderSourceClient(name, folder, max_bytes=settings.document_max_bytes)
    raise PermanentSourceError(f"source {name!r} has unknown kind {kind!r} (expected http or folder)")

"""The one interface every source package speaks: list new returns since a cursor (paged), fetch one.

Exception tree (callers catch the branch they can act on, as in httpx):

    SourcePackageError                 anything that went wrong talking to a source package
    ├── TransientSourceError           may work if tried again later: timeouts, connection errors, 429, 5xx
    └── PermanentSourceError           will not work until someone acts: 401/403/404, invalid payload, bad config

A document that arrives fine but is not a valid return is NOT a source error: intake keeps it as
`rejected` (integrations.sbr.InvalidReturnDocument).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from sbrflow.domain.errors import Unavailable


class SourcePackageError(Unavailable):
    """Talking to a source package failed; the message names the source, never its token."""


class TransientSourceError(SourcePackageError):
    """A failure that may pass by itself (timeout, connection refused, 429, 5xx): retry later."""


class PermanentSourceError(SourcePackageError):
    """A failure that needs a person (wrong token, unknown URL, invalid answer): do not retry."""


@dataclass(frozen=True, slots=True)
class ReturnRef:
    """One document as the source lists it; `reference` is the source's own, stable id for it."""

    reference: str
    name: str | None = None  # a file name, for people
    size: int | None = None
    sha256: str | None = None  # when the source states it, fetch() checks the bytes against it


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the feed: its items and the cursor that comes after them."""

    items: Sequence[ReturnRef]
    next_cursor: str | None  # store this once the page's documents are stored; None = unchanged
    has_more: bool


class SourcePackageClient(ABC):
    """A source package: list what is new since a cursor, a page at a time, and fetch each document."""

    name: str = "source"

    @abstractmethod
    def list_returns(self, cursor: str | None, limit: int) -> Page:
        """The next page of documents after `cursor` (None: from the start)."""

    @abstractmethod
    def fetch(self, ref: ReturnRef) -> bytes:
        """The exact bytes of one listed document."""

    def fetch_many(self, refs: Sequence[ReturnRef]) -> list[bytes]:
        """The bytes of several documents, in the order given (a client may fetch them concurrently)."""
        return [self.fetch(ref) for ref in refs]

    def acknowledge(self, refs: Sequence[tuple[ReturnRef, bool]]) -> None:  # noqa: B027 (optional hook)
        """Tell the source which documents are stored (True: accepted, False: rejected); after commit."""

    def close(self) -> None:  # noqa: B027 (optional hook: most clients hold nothing to release)
        """Release connections; the client is not used afterwards."""

    def __enter__(self) -> SourcePackageClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

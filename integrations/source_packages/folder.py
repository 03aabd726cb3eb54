"""A folder drop: a package or a person writes `.xbrl`/`.xml` files into a folder; we take them in.

After the documents of a page are committed, each file is moved to `processed/` (stored) or
`rejected/` (kept with the reason in the database) — atomically, on the same file system, never
overwriting and never deleting. A file that is still in the folder was not stored yet, so the
folder itself is the cursor: a crash between commit and move only means the file is seen again
and counted as a duplicate. Writers should write under another name (e.g. `x.xml.part`) and rename.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from sbrflow.integrations.source_packages.base import (
    Page,
    PermanentSourceError,
    ReturnRef,
    SourcePackageClient,
    TransientSourceError,
)

log = logging.getLogger(__name__)
SUFFIXES = frozenset({".xbrl", ".xml"})
PROCESSED, REJECTED = "processed", "rejected"


class FolderSourceClient(SourcePackageClient):
    """The files in one folder, oldest name first; `processed/` and `rejected/` next to them."""

    def __init__(self, name: str, folder: str | Path, *, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.name = name
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        # Listed in this poll already: a file whose move failed is not offered twice in one run.
        self._seen: set[str] = set()
        self._refused: set[str] = set()

    def list_returns(self, cursor: str | None, limit: int) -> Page:
        """The next `limit` files still waiting in the folder (the cursor is not needed: see above)."""
        if not self.folder.is_dir():
            raise PermanentSourceError(f"source {self.name!r}: folder {str(self.folder)!r} does not exist")
        try:
            entries = [entry for entry in os.scandir(self.folder)
                       if not entry.name.startswith(".") and Path(entry.name).suffix.lower() in SUFFIXES]
            # A symbolic link may point anywhere (evil.xml -> /etc/app-config.xml): never followed.
            for entry in entries:
                if entry.is_symlink() and entry.name not in self._refused:
                    self._refused.add(entry.name)
                    log.warning("source %s: %r is a symbolic link; it is not read (only regular files are)",
                                self.name, entry.name)
            names = sorted(entry.name for entry in entries if entry.is_file(follow_symlinks=False))
        except OSError as exc:
            raise TransientSourceError(f"source {self.name!r}: folder cannot be read ({exc.strerror})") from None
        waiting = [n for n in names if n not in self._seen]
        page = [self._ref(n) for n in waiting[:limit]]
        page = [ref for ref in page if ref is not None]
        self._seen.update(ref.name for ref in page)
        return Page(items=page, next_cursor=None, has_more=len(waiting) > limit)

    def fetch(self, ref: ReturnRef) -> bytes:
        """The file's bytes (at most max_bytes + 1), checked against the hash taken when listing."""
        try:
            with _open_regular(self.folder / ref.name) as handle:
                data = handle.read(self.max_bytes + 1)
        except FileNotFoundError:
            raise TransientSourceError(f"source {self.name!r}: {ref.name!r} disappeared before it was read") from None
        except _NotRegular:
            raise PermanentSourceError(f"source {self.name!r}: {ref.name!r} was replaced by a link or a special "
                                       "file; it is not read") from None
        if ref.sha256 and hashlib.sha256(data).hexdigest() != ref.sha256:
            raise TransientSourceError(f"source {self.name!r}: {ref.name!r} changed while it was read")
        return data

    def acknowledge(self, refs: Sequence[tuple[ReturnRef, bool]]) -> None:
        """Move stored files to processed/, rejected ones to rejected/."""
        for ref, accepted in refs:
            move_without_overwrite(self.folder / ref.name, self.folder / (PROCESSED if accepted else REJECTED))

    def _ref(self, name: str) -> ReturnRef | None:
        path = self.folder / name
        digest, size = hashlib.sha256(), 0
        try:
            with _open_regular(path) as handle:
                while chunk := handle.read(1024 * 1024):
                    digest.update(chunk)
                    size += len(chunk)
                    if size > self.max_bytes:
                        break
        except (FileNotFoundError, _NotRegular):  # moved away in the meantime, or swapped for a link
            return None
        sha = digest.hexdigest() if size <= self.max_bytes else None
        # The name alone is not a stable identity: a person may drop a new file under an old name.
        reference = f"{name}#{sha[:16]}" if sha else f"{name}#size{size}"
        return ReturnRef(reference=reference, name=name, size=size, sha256=sha)


class _NotRegular(OSError):
    """The name is (now) a symbolic link, a device, a pipe or a folder."""


def _open_regular(path: Path):
    """Open a regular file for reading; never through a symbolic link (O_NOFOLLOW), never a FIFO or device."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _NotRegular(str(path)) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _NotRegular(str(path))
    return os.fdopen(fd, "rb")


def move_without_overwrite(source: Path, target_dir: Path) -> Path | None:
    """Move `source` into `target_dir` atomically; add `.1`, `.2`, … rather than replace a file."""
    target_dir.mkdir(exist_ok=True)
    stem, suffix = source.stem, source.suffix
    for attempt in range(1000):
        target = target_dir / (source.name if attempt == 0 else f"{stem}.{attempt}{suffix}")
        try:
            # link() fails when the target exists, so nothing is overwritten; the file exists
            # under at least one name at every moment, so nothing is lost if we die in between.
            os.link(source, target)
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None  # already moved (a rerun)
        except OSError:
            # A file system without hard links: rename is still atomic; check first, accept the race.
            if target.exists():
                continue
            os.rename(source, target)
            return target
        os.unlink(source)
        return target
    raise PermanentSourceError(f"{source.name!r}: too many files of that name in {str(target_dir)!r}")

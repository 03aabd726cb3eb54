"""What the simulated source package has to offer: generated returns, or the files of a folder.

Documents are rendered when they are fetched (integrations/sbr/generate.py is deterministic), so
a catalogue of 10,000 returns costs a few megabytes, not the documents' hundred.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from sbrflow.integrations.sbr.generate import payroll_return_xml, vat_return_xbrl


@dataclass(frozen=True, slots=True)
class Entry:
    """One document the source offers: its id in the feed, a file name, and how to make its bytes."""

    id: str
    name: str
    render: Callable[[], bytes]


class Catalogue:
    """An append-only feed of entries; the position in it is the cursor."""

    def __init__(self, entries: Sequence[Entry] = ()) -> None:
        self._entries: list[Entry] = list(entries)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.snapshot())

    def snapshot(self) -> list[Entry]:
        """The entries as they stand now."""
        with self._lock:
            return list(self._entries)

    def add(self, entry: Entry) -> None:
        """Append a new document to the feed (it appears after every cursor handed out so far)."""
        with self._lock:
            self._entries.append(entry)

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, if the feed has it."""
        with self._lock:
            return next((e for e in self._entries if e.id == entry_id), None)


class IndexedCatalogue(Catalogue):
    """A catalogue with an id index, for large generated feeds (get() in O(1))."""

    def __init__(self, entries: Sequence[Entry] = ()) -> None:
        super().__init__(entries)
        self._index = {e.id: e for e in self._entries}

    def add(self, entry: Entry) -> None:
        """Append and index."""
        super().add(entry)
        self._index[entry.id] = entry

    def get(self, entry_id: str) -> Entry | None:
        """O(1) lookup by id."""
        return self._index.get(entry_id)


class FolderCatalogue(IndexedCatalogue):
    """The `.xbrl`/`.xml` files of a folder, in order of first sight; rescanned on every listing."""

    def __init__(self, folder: str | Path) -> None:
        super().__init__()
        self.folder = Path(folder)

    def snapshot(self) -> list[Entry]:
        """Pick up files added since the last listing (sorted by name), then the feed."""
        names = sorted(p.name for p in self.folder.iterdir()
                       if p.is_file() and p.suffix.lower() in {".xbrl", ".xml"} and not p.name.startswith("."))
        for name in names:
            if name not in self._index:
                self.add(Entry(id=name, name=name, render=partial(_read, self.folder / name)))
        return super().snapshot()

    def get(self, entry_id: str) -> Entry | None:
        """The file with this name (rescanning only when it is not known yet)."""
        if super().get(entry_id) is None:
            self.snapshot()
        return super().get(entry_id)


def _read(path: Path) -> bytes:
    return path.read_bytes()


def elfproef_numbers(count: int, start: int = 100_000_000) -> list[str]:
    """`count` 9-digit numbers that pass the elfproef (RSIN/BSN shape), deterministic from `start`."""
    found, n = [], start
    while len(found) < count:
        digits = f"{n:09d}"
        if sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) % 11 == int(digits[8]):
            found.append(digits)
        n += 1
    return found


def months_back(count: int, last: date) -> list[tuple[date, date]]:
    """`count` calendar months ending with the month of `last`, oldest first."""
    periods, first = [], last.replace(day=1)
    for _ in range(count):
        end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        periods.append((first, end))
        first = (first - timedelta(days=1)).replace(day=1)
    return periods[::-1]


def generated_catalogue(count: int, *, vat_share: float = 0.9, employees: int = 20, seed: int = 0,
                        ob_numbers: Sequence[str] | None = None, lh_numbers: Sequence[str] | None = None,
                        last_period: date = date(2025, 12, 1)) -> IndexedCatalogue:
    """`count` returns: VAT returns for `ob_numbers` and payroll returns for `lh_numbers`, month by month.

    Without numbers, made-up clients are used (elfproef-valid, 12 months each). Entries are
    interleaved (VAT, VAT, …, payroll) the way a package exports a month's work.
    """
    payroll_count = round(count * (1 - vat_share))
    vat_count = count - payroll_count
    rng = random.Random(seed)
    if ob_numbers is None:
        ob_numbers = [f"{n}B01" for n in elfproef_numbers(max(1, -(-vat_count // 12)), 800_000_000)]
    if lh_numbers is None:
        lh_numbers = [f"{n}L01" for n in elfproef_numbers(max(1, -(-payroll_count // 12)), 700_000_000)]
    vat = _series(vat_count, ob_numbers, last_period)
    payroll = _series(payroll_count, lh_numbers, last_period)
    entries: list[Entry] = []
    for number, (start, end) in vat:
        owed = rng.randrange(0, 40_000)
        ref = f"OB-{number}-{start:%Y%m}-{seed}"
        entries.append(Entry(
            id=f"ob-{number}-{start:%Y%m}", name=f"ob-{number}-{start:%Y%m}.xbrl",
            render=partial(vat_return_xbrl, number, start, end, owed=owed, on_input=rng.randrange(0, owed + 1),
                           message_ref=ref),
        ))
    step = max(1, len(entries) // max(1, len(payroll)))
    for index, (number, (start, end)) in enumerate(payroll):
        entry = Entry(
            id=f"lh-{number}-{start:%Y%m}", name=f"lh-{number}-{start:%Y%m}.xml",
            render=partial(payroll_return_xml, number, start, end, employees=employees, seed=seed),
        )
        entries.insert(min(len(entries), (index + 1) * step + index), entry)
    return IndexedCatalogue(entries)


def _series(count: int, numbers: Sequence[str], last_period: date) -> list[tuple[str, tuple[date, date]]]:
    # Client-major within a month, months oldest first: count = clients × months (+ a partial month).
    if not numbers or count <= 0:
        return []
    months = months_back(-(-count // len(numbers)), last_period)
    return [(numbers[i % len(numbers)], months[i // len(numbers)]) for i in range(count)]


def returns_catalogue(returns: Sequence[tuple[str, date, date]], *, employees: int = 5,
                      seed: int = 0) -> IndexedCatalogue:
    """One return per (fiscal id, period start, period end): a VAT return for an OB-nummer (…B01),
    a payroll return for a loonheffingennummer (…L01), in the order given."""
    entries = []
    for number, start, end in returns:
        if "L" in number.upper():
            entries.append(Entry(f"lh-{number}-{start:%Y%m%d}", f"lh-{number}-{start:%Y%m%d}.xml",
                                 partial(payroll_return_xml, number, start, end, employees=employees, seed=seed)))
        else:
            owed = random.Random(f"{seed}:{number}:{start}").randrange(0, 40_000)
            entries.append(Entry(f"ob-{number}-{start:%Y%m%d}", f"ob-{number}-{start:%Y%m%d}.xbrl",
                                 partial(vat_return_xbrl, number, start, end, owed=owed)))
    return IndexedCatalogue(entries)

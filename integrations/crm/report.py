"""Write an import report (counts per sheet, every problem) to .xlsx or .csv for the office to work through."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import openpyxl

from sbrflow.integrations.crm.records import WorkbookError

COLUMNS = ("severity", "sheet", "row", "column", "value", "message")


def write_report(path: str | Path, rows: Iterable[Mapping[str, object]],
                 counts: Mapping[str, Mapping[str, object]] | None = None) -> Path:
    """Problems as rows (severity, sheet, row, column, value, message); .xlsx adds a sheet with the counts."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(COLUMNS)
            writer.writerows([row.get(column, "") for column in COLUMNS] for row in rows)
        return path
    if suffix != ".xlsx":
        raise WorkbookError(f"{path.name}: write the report to a .xlsx or .csv file")
    workbook = openpyxl.Workbook(write_only=True)
    problems = workbook.create_sheet("Problemen")
    problems.append(list(COLUMNS))
    for row in rows:
        problems.append([row.get(column, "") for column in COLUMNS])
    if counts:
        totals = workbook.create_sheet("Aantallen")
        outcomes = list(next(iter(counts.values())))
        totals.append(["sheet", *outcomes])
        for kind, numbers in counts.items():
            totals.append([kind, *(numbers[outcome] for outcome in outcomes)])
    workbook.save(path)
    return path

"""A simulated source package: the HTTP API of README "Source package API", with fault injection."""

from sbrflow.integrations.simulator.catalogue import (
    Catalogue,
    Entry,
    FolderCatalogue,
    IndexedCatalogue,
    elfproef_numbers,
    generated_catalogue,
    months_back,
    returns_catalogue,
)
from sbrflow.integrations.simulator.server import API, Faults, SourceSimulator, Stats

__all__ = [
    "API",
    "Catalogue",
    "Entry",
    "Faults",
    "FolderCatalogue",
    "IndexedCatalogue",
    "SourceSimulator",
    "Stats",
    "elfproef_numbers",
    "generated_catalogue",
    "months_back",
    "returns_catalogue",
]

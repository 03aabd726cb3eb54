"""Every package folder is installed: a non-editable install (the Docker image) must not miss one."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "tests", "bench", "var", ".git", "build"}


def test_every_folder_with_an_init_file_is_listed_as_a_package_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"sbrflow"} | {
        "sbrflow." + ".".join(init.parent.relative_to(ROOT).parts)
        for init in ROOT.rglob("__init__.py")
        if init.parent != ROOT and not SKIP & set(init.relative_to(ROOT).parts)
    }
    assert found - listed == set(), f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"

"""The command line starts fast: importing it loads none of the heavy libraries (they load inside commands)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("prefect", "pandas", "sqlalchemy", "alembic")


def _loaded_after(statement: str) -> list[str]:
    code = (f"import json, sys; {statement}; "
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_prefect_pandas_sqlalchemy_or_alembic():
    assert _loaded_after("import sbrflow.cli") == []
    assert _loaded_after("import sbrflow.cli.main") == []


def test_help_and_periods_show_need_none_of_them_either():
    assert _loaded_after("import sys; sys.argv = ['sbrflow', '--help']\n"
                         "from sbrflow.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass") == []
    assert _loaded_after("import sys; sys.argv = ['sbrflow', 'periods', 'show', '--tax', 'OB', '--frequency', "
                         "'quarter', '--date', '2026-05-10', '--json']\nfrom sbrflow.cli.main import main\n"
                         "try:\n    main()\nexcept SystemExit:\n    pass") == []

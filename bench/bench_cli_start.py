"""How long the `sbrflow` command takes to start: `--help` and `periods show … --json` (issue 15, target < 0.5 s).

Next to the floor: a bare `python -c pass` from the same venv (the interpreter's own start), and `prefect --help`.
Reports wall time and CPU time (user + sys of the child): on a shared, loaded machine the CPU time is the
steadier number. Usage: .venv/bin/python bench/bench_cli_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "sbrflow --help": [str(BIN / "sbrflow"), "--help"],
    "sbrflow periods show --json": [str(BIN / "sbrflow"), "periods", "show", "--tax", "OB", "--frequency", "quarter",
                                    "--date", "2026-05-10", "--json"],
    "prefect --help": [str(BIN / "prefect"), "--help"],
}


def measure(command: list[str], runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    env = os.environ | {"PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'command':32} {'wall s':>8} {'cpu s':>8}   (median of {args.runs})")
    for name, command in COMMANDS.items():
        wall, cpu = measure(command, args.runs)
        print(f"{name:32} {wall:8.2f} {cpu:8.2f}")


if __name__ == "__main__":
    main()

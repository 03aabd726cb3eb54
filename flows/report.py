"""What a run's artifact says about the clients behind a count that needs action (blocked, unmatched, failed).

An operator reads the artifact to act: each such count comes with the clients behind it — the first
`LISTED`, then "and N more — run `sbrflow …` to list them all" with the command that lists every one.
"""

from __future__ import annotations

from collections.abc import Sequence

LISTED = 20  # the same number tasks/planning.py reads per product × period


def named(names: Sequence[str], total: int | None = None, command: str = "") -> str:
    """`1002, 1003 and 40 more — run `sbrflow cases list --state blocked` to list them all`, or '' for none."""
    total = len(names) if total is None else total
    shown = list(names)[:LISTED]
    if not shown:
        return ""
    text = ", ".join(shown)
    if total > len(shown):
        text += f" and {total - len(shown)} more"
        if command:
            text += f" — run `{command}` to list them all"
    return text

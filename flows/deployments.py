"""The one declaration of the deployments: prefect.yaml.

`prefect deploy --all` registers its entries on a work pool; `sbrflow serve` reads the same entries here and
serves them from one process. Any entry works: name, entrypoint (module path `sbrflow.flows.x:flow`),
description, tags, parameters, schedules (cron / interval / rrule) and concurrency_limit (a number, or
`{limit: N, collision_strategy: ENQUEUE|CANCEL_NEW}`). The work_pool and pull sections are the work pool's only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from sbrflow.domain.errors import ConfigurationError

# The repository root is the package root (pyproject package-dir), so prefect.yaml sits next to flows/;
# it is package data too, so an installed sbrflow (the container) finds it here.
PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment entry of prefect.yaml, as both `prefect deploy` and `sbrflow serve` use it."""

    name: str
    entrypoint: str
    description: str | None = None
    tags: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: tuple[dict[str, Any], ...] = ()
    concurrency_limit: int | None = None
    collision_strategy: str | None = None


def load_specs(path: Path | None = None) -> list[DeploymentSpec]:
    """Every deployment entry of prefect.yaml (default: the one shipped with sbrflow)."""
    document = yaml.safe_load((path or PREFECT_YAML).read_text(encoding="utf-8")) or {}
    return [_spec(entry) for entry in document.get("deployments") or []]


def _spec(entry: dict[str, Any]) -> DeploymentSpec:
    limit = entry.get("concurrency_limit")
    strategy = None
    if isinstance(limit, dict):
        strategy = limit.get("collision_strategy")
        limit = limit.get("limit")
    return DeploymentSpec(
        name=entry["name"],
        entrypoint=entry["entrypoint"],
        description=entry.get("description"),
        tags=tuple(entry.get("tags") or ()),
        parameters=dict(entry.get("parameters") or {}),
        schedules=tuple(entry.get("schedules") or ()),
        concurrency_limit=int(limit) if limit is not None else None,
        collision_strategy=strategy,
    )


def schedule_of(entry: dict[str, Any]) -> Any:
    """A prefect.yaml schedule entry as a Prefect schedule object (cron, interval in seconds, or rrule)."""
    from prefect.schedules import Cron, Interval, RRule

    common: dict[str, Any] = {"active": entry.get("active", True)}
    if entry.get("parameters"):
        common["parameters"] = entry["parameters"]
    timezone = entry.get("timezone")
    if "cron" in entry:
        return Cron(entry["cron"], timezone=timezone, day_or=entry.get("day_or", True), **common)
    if "interval" in entry:
        anchor = entry.get("anchor_date")
        if isinstance(anchor, str):
            anchor = datetime.fromisoformat(anchor)
        return Interval(timedelta(seconds=float(entry["interval"])), anchor, timezone, **common)
    if "rrule" in entry:
        return RRule(entry["rrule"], timezone=timezone, **common)
    raise ConfigurationError(f"prefect.yaml: schedule {entry!r} has no cron, interval or rrule")


def load_flow(entrypoint: str) -> Any:
    """The flow object behind an entrypoint (`sbrflow.flows.planning:plan_periods` or `flows/x.py:f`)."""
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(entrypoint)


def runner_deployment(spec: DeploymentSpec) -> Any:
    """The deployment `sbrflow serve` runs for one prefect.yaml entry."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType

    limit: Any = spec.concurrency_limit
    if limit is not None and spec.collision_strategy:
        limit = ConcurrencyLimitConfig(limit=limit,
                                       collision_strategy=ConcurrencyLimitStrategy(spec.collision_strategy))
    return load_flow(spec.entrypoint).to_deployment(
        name=spec.name,
        description=spec.description,
        tags=list(spec.tags),
        parameters=spec.parameters,
        schedules=[schedule_of(entry) for entry in spec.schedules] or None,
        concurrency_limit=limit,
        # Load the flow by module, as the work pool's runs do: no checkout or working directory needed.
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def deployments(path: Path | None = None) -> list[Any]:
    """Every deployment of prefect.yaml, ready for `prefect.serve`."""
    return [runner_deployment(spec) for spec in load_specs(path)]

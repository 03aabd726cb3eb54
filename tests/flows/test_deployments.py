"""prefect.yaml is the one declaration of the deployments; `sbrflow serve` runs exactly its entries."""

from __future__ import annotations

from datetime import timedelta

import yaml

from sbrflow.flows.deployments import PREFECT_YAML, deployments, load_flow, load_specs


def _entries() -> list[dict]:
    return yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]


def _schedule(created) -> dict:
    """A served schedule in prefect.yaml's words."""
    schedule = created.schedule
    if hasattr(schedule, "cron"):
        return {"cron": schedule.cron, "timezone": schedule.timezone}
    return {"interval": schedule.interval.total_seconds()}


def _yaml_schedule(entry: dict) -> dict:
    if "cron" in entry:
        return {"cron": entry["cron"], "timezone": entry.get("timezone")}
    return {"interval": float(entry["interval"])}


def test_serve_runs_exactly_the_deployments_declared_in_prefect_yaml():
    served = {d.name: d for d in deployments()}
    entries = _entries()
    assert list(served) == [entry["name"] for entry in entries]
    for entry in entries:
        deployment = served[entry["name"]]
        module, function = entry["entrypoint"].split(":")
        assert deployment.entrypoint == f"{module}.{function}"
        assert deployment.flow_name == load_flow(entry["entrypoint"]).name
        assert deployment.description == entry.get("description")
        assert deployment.tags == entry.get("tags", [])
        assert deployment.parameters == (entry.get("parameters") or {})
        assert [_schedule(s) for s in deployment.schedules] == [_yaml_schedule(s) for s in entry.get("schedules", [])]
        limit = entry.get("concurrency_limit")
        if isinstance(limit, dict):
            assert deployment.concurrency_limit == limit["limit"]
            assert deployment.concurrency_options.collision_strategy.value == limit["collision_strategy"]
        else:
            assert deployment.concurrency_limit == limit


def test_every_deployment_loads_its_flow_by_module_so_a_worker_needs_no_checkout():
    document = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    assert document["pull"] == []  # an explicit empty pull: `prefect deploy` adds no set_working_directory
    for entry in document["deployments"]:
        assert entry["entrypoint"].startswith("sbrflow.flows."), (
            f"{entry['name']}: use a module entrypoint (sbrflow.flows.<module>:<flow>), not a file path")
        assert entry["work_pool"]["name"] == "sbrflow"


def test_plans_and_bulk_starts_queue_instead_of_overlapping():
    by_name = {spec.name: spec for spec in load_specs()}
    for name in ("plan-periods", "bulk-start"):
        assert (by_name[name].concurrency_limit, by_name[name].collision_strategy) == (1, "ENQUEUE")


def test_any_prefect_yaml_entry_is_served_with_its_interval_rrule_and_concurrency(tmp_path):
    # Entries other areas add (route-cases every 5 minutes, …) need nothing in the loader.
    (tmp_path / "prefect.yaml").write_text("""
deployments:
  - name: route-often
    entrypoint: sbrflow.flows.matching:match_returns
    tags: [routing]
    parameters: {today: "2026-11-30"}
    concurrency_limit: {limit: 2, collision_strategy: CANCEL_NEW}
    schedules:
      - interval: 300
      - rrule: "FREQ=WEEKLY;BYDAY=MO"
        timezone: Europe/Amsterdam
  - name: plain
    entrypoint: sbrflow.flows.matching:match_returns
    concurrency_limit: 3
""")
    often, plain = deployments(tmp_path / "prefect.yaml")
    assert often.name == "route-often" and often.parameters == {"today": "2026-11-30"}
    assert often.schedules[0].schedule.interval == timedelta(minutes=5)
    assert often.schedules[1].schedule.rrule.endswith("FREQ=WEEKLY;BYDAY=MO")
    assert (often.concurrency_limit, often.concurrency_options.collision_strategy.value) == (2, "CANCEL_NEW")
    assert plain.concurrency_limit == 3 and plain.schedules == []

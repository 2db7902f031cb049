"""Child process of the benchmark: one nightly build in-process, then its per-stage and per-model timings.

`python -m cs_warehouse.tooling.bench.nightly --out timings.json`, started by `cs-warehouse bench` only. Stage
times come from the Dagster run's event log (STEP_START to STEP_SUCCESS / STEP_FAILURE per step key); dbt's
per-node times from the run_results.json that dagster-dbt wrote for this run under DBT_TARGET_PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from cs_warehouse.nightly_log import stage_of

START = time.perf_counter()


def step_timings(instance, run_id: str) -> tuple[dict[str, dict], dict[str, float]]:
    import dagster as dg

    kinds = dg.DagsterEventType
    run_kinds = {kinds.RUN_START: "start", kinds.RUN_SUCCESS: "end", kinds.RUN_FAILURE: "end"}
    types = {kinds.STEP_START, kinds.STEP_SUCCESS, kinds.STEP_FAILURE, *run_kinds}
    steps: dict[str, dict] = {}
    run: dict[str, float] = {}
    for entry in instance.all_logs(run_id, of_type=types):
        event = entry.dagster_event
        kind = event.event_type
        if kind in run_kinds:
            run[run_kinds[kind]] = entry.timestamp
            continue
        step = steps.setdefault(event.step_key, {"stage": stage_of(event.step_key), "attempts": 0})
        if kind == kinds.STEP_START:
            # a retried step starts again: its time is from the first start to the last end
            step.setdefault("start", entry.timestamp)
            step["attempts"] += 1
        else:
            step["end"] = entry.timestamp
            step["status"] = "success" if kind == kinds.STEP_SUCCESS else "failure"
    for step in steps.values():
        step["seconds"] = round(step.get("end", step["start"]) - step["start"], 3)
    run_seconds = round(run["end"] - run["start"], 3) if {"start", "end"} <= run.keys() else None
    return steps, {"run_seconds": run_seconds}


def dbt_node_timings(target_root: Path, run_id: str) -> list[dict]:
    """Per-node times of the dbt build of this run (the last attempt when the step was retried)."""
    candidates = sorted(
        target_root.glob(f"dbt_models-{run_id[:7]}-*/run_results.json"), key=lambda p: p.stat().st_mtime
    )
    if not candidates:
        return []
    results = json.loads(candidates[-1].read_text())["results"]
    nodes = []
    for result in results:
        phases = {t["name"]: t for t in result.get("timing", [])}
        nodes.append(
            {
                "unique_id": result["unique_id"],
                "resource_type": result["unique_id"].split(".", 1)[0],
                "status": result["status"],
                "seconds": round(result["execution_time"], 3),
                "execute_seconds": _phase_seconds(phases.get("execute")),
            }
        )
    return nodes


def _phase_seconds(phase: dict | None) -> float | None:
    if not phase or not phase.get("started_at") or not phase.get("completed_at"):
        return None
    from datetime import datetime

    started = datetime.fromisoformat(phase["started_at"].replace("Z", "+00:00"))
    completed = datetime.fromisoformat(phase["completed_at"].replace("Z", "+00:00"))
    return round((completed - started).total_seconds(), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import dagster as dg

    from cs_warehouse.cli import run_nightly
    from cs_warehouse.settings import Settings

    settings = Settings.from_env()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    # cs_warehouse.definitions loads at the first import inside run_nightly; time it apart from the run
    import cs_warehouse.definitions  # noqa: F401

    imported = time.perf_counter()
    success = run_nightly(settings)
    finished = time.perf_counter()
    status = json.loads((settings.reports_dir / "last_run.json").read_text())
    with dg.DagsterInstance.get() as instance:
        steps, run_seconds = step_timings(instance, status["run_id"])
    target_root = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    body = {
        "success": success,
        "run_id": status["run_id"],
        "event_days": status.get("event_days"),
        "reasons": status.get("reasons", []),
        "startup_seconds": round(imported - START, 3),
        "job_seconds": round(finished - imported, 3),
        **run_seconds,
        "steps": steps,
        "dbt_nodes": dbt_node_timings(target_root, status["run_id"]),
    }
    args.out.write_text(json.dumps(body, indent=2) + "\n")
    return 0 if success else 1


if __name__ == "__main__":
    raise SystemExit(main())

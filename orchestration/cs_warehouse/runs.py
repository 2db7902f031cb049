"""What a nightly run covers and what a failed one says: shared by the CLI, the schedule and the sensor."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

from cs_warehouse.contract import load_contract
from cs_warehouse.ingestion.load import RAW_SCHEMA, file_sha256, partition_files

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def pending_event_days(landing_dir: Path, warehouse_path: Path) -> list[dt.date]:
    """Days whose event files are new or changed since they were last loaded."""
    events = load_contract().entities["product_events"]
    loaded: dict[str, str] = {}
    if warehouse_path.exists():
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            has_audit = con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = '_load_audit'",
                [RAW_SCHEMA],
            ).fetchall()[0][0]
            if has_audit:
                loaded = dict(
                    con.execute(
                        f"select source_file, arg_max(file_sha256, loaded_at) from {RAW_SCHEMA}._load_audit "
                        "where entity = ? group by source_file",
                        [events.name],
                    ).fetchall()
                )
    days = set()
    for day, path in partition_files(landing_dir, events):
        rel = path.relative_to(landing_dir).as_posix()
        if loaded.get(rel) != file_sha256(path):
            days.add(day)
    return sorted(days)


def partition_range_tags(days: list[dt.date], fallback: dt.date) -> dict[str, str]:
    """Run tags covering the pending days (one run for the whole range), or the fallback day."""
    start, end = (days[0], days[-1]) if days else (fallback, fallback)
    return {RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()}


def landing_fingerprint(landing_dir: Path) -> str:
    """Changes when any landing file appears, disappears or changes size or modification time."""
    digest = hashlib.sha256()
    if landing_dir.exists():
        for path in sorted(p for p in landing_dir.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(landing_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def failure_reasons(run_id: str, instance: dg.DagsterInstance) -> list[str]:
    """Failed steps and failed checks of a run, one readable line each."""
    reasons = []
    records = instance.get_records_for_run(run_id).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            message = error.message.strip().splitlines()[0] if error else "failed"
            reasons.append(f"step {event.step_key} failed: {message}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                severity = evaluation.severity.value if evaluation.severity else "ERROR"
                reason = f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed ({severity})"
                message = evaluation.metadata.get("message")  # the publish gates say which numbers failed
                reasons.append(f"{reason}: {message.value}" if message is not None else reason)
    return reasons or ["the run failed before any step reported why; see the run in the Dagster UI"]


def write_run_status(reports_dir: Path, body: dict) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / "last_run.json"
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    return path

"""What a nightly run covers and what a failed one says: shared by the CLI, the schedule and the sensor."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from cs_warehouse.contract import load_contract
from cs_warehouse.ingestion.audit import RAW_SCHEMA
from cs_warehouse.ingestion.discovery import file_sha256, partition_files
from cs_warehouse.publish import write_json_atomic

if TYPE_CHECKING:
    from dagster._utils.error import SerializableErrorInfo

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# A run tagged EVENT_FILES_TAG=NEW_OR_CHANGED loads only the event files of its days that are new or changed
# (the nightly: CLI, schedule, sensor); without it a run reloads its days' files (a backfill).
EVENT_FILES_TAG = "cs_warehouse/event_files"
NEW_OR_CHANGED = "new_or_changed"
# Set on runs the CLI starts: which process ran them, under which warehouse lock (see mark_abandoned_runs).
PID_TAG = "cs_warehouse/pid"
HOST_TAG = "cs_warehouse/host"
LOCK_TAG = "cs_warehouse/lock"
NIGHTLY_JOB = "nightly_build"


@dataclass(frozen=True)
class RootCause:
    """The innermost error of a failure, and the file, row and rule it names when it names them."""

    type: str
    message: str
    path: str | None = None
    line: int | None = None
    rule: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def text(self) -> str:
        where = ", ".join(f"{k} {v}" for k, v in (("line", self.line), ("rule", self.rule)) if v is not None)
        return f"{self.type}: {self.message}" + (f" ({where})" if where else "")


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def root_cause_of_exception(exc: BaseException) -> RootCause:
    """Follow `__cause__` (else `__context__`, unless suppressed) to the innermost exception. The file, row
    and rule come from the innermost exception in the chain that carries `path`, `line` (or `row`), `rule`."""
    chain = [exc]
    seen = {id(exc)}
    while True:
        current = chain[-1]
        nxt = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if nxt is None or id(nxt) in seen:
            break
        chain.append(nxt)
        seen.add(id(nxt))
    root = chain[-1]
    found: dict = {}
    for item in reversed(chain):
        for attr, key in (("path", "path"), ("line", "line"), ("row", "line"), ("rule", "rule")):
            value = getattr(item, attr, None)
            if value is not None and key not in found and isinstance(value, str | int | os.PathLike):
                found[key] = value if isinstance(value, int) else str(value)
    message = _one_line(str(root)) or repr(root)
    return RootCause(type=type(root).__name__, message=message, **found)


def root_cause_of_error_info(error: SerializableErrorInfo) -> RootCause:
    """The innermost error of a Dagster error chain (`cause`, else `context`): the step wrapper's
    "Error occurred while executing op ..." and a retry's "Exceeded max_retries" are not root causes."""
    seen = 0
    while (error.cause or error.context) is not None and seen < 50:
        error = error.cause or error.context
        seen += 1
    message = error.message.strip()
    if error.cls_name:  # "KeyError: ..." or "dagster._core.errors.DagsterError: ..."
        message = re.sub(rf"^(?:[\w.]+\.)?{re.escape(error.cls_name)}: ", "", message)
    return RootCause(type=error.cls_name or "Error", message=_one_line(message) or "failed")


def _root_cause_of_step_failure(data) -> RootCause:
    failure = getattr(data, "user_failure_data", None)
    if failure is not None and failure.description:
        meta = {k: getattr(v, "value", v) for k, v in (failure.metadata or {}).items()}
        line = meta.get("line")
        return RootCause(
            type=str(meta.get("error_type") or "Failure"),
            message=failure.description,
            path=str(meta["path"]) if meta.get("path") is not None else None,
            line=int(line) if isinstance(line, int | float) else None,
            rule=str(meta["rule"]) if meta.get("rule") is not None else None,
        )
    if data.error is not None:
        return root_cause_of_error_info(data.error)
    return RootCause(type="Error", message="failed")


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


def partition_range_tags(days: list[dt.date], fallback: dt.date, reload: bool = True) -> dict[str, str]:
    """Run tags covering the pending days (one run for the whole range), or the fallback day. `reload`: the
    run reloads those days' files whether changed or not (a backfill); else it loads only new or changed
    files, so a night with none loads nothing."""
    start, end = (days[0], days[-1]) if days else (fallback, fallback)
    tags = {RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()}
    return tags if reload else {**tags, EVENT_FILES_TAG: NEW_OR_CHANGED}


def landing_fingerprint(landing_dir: Path) -> str:
    """Changes when any landing file appears, disappears or changes size or modification time."""
    digest = hashlib.sha256()
    if landing_dir.exists():
        for path in sorted(p for p in landing_dir.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(landing_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def run_failure(run_id: str, instance: dg.DagsterInstance) -> tuple[list[str], RootCause | None]:
    """Failed steps (by their root cause) and failed checks of a run, one readable line each, and the root
    cause of the first failed step (or of the run failure itself when no step failed)."""
    reasons: list[str] = []
    first: RootCause | None = None
    run_error: RootCause | None = None
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_FAILURE":
            cause = _root_cause_of_step_failure(event.event_specific_data)
            first = first or cause
            reasons.append(f"step {event.step_key} failed: {cause.text()}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                severity = evaluation.severity.value if evaluation.severity else "ERROR"
                reason = f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed ({severity})"
                message = evaluation.metadata.get("message")  # the publish gates say which numbers failed
                reasons.append(f"{reason}: {message.value}" if message is not None else reason)
        elif event.event_type_value == "PIPELINE_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            if error is not None:
                run_error = root_cause_of_error_info(error)
    if not reasons and run_error is not None:
        reasons.append(f"run failed: {run_error.text()}")
    return reasons or ["the run failed before any step reported why; see the run in the Dagster UI"], first or run_error


def cli_run_tags(lock_file: Path) -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(), LOCK_TAG: str(lock_file)}


def mark_abandoned_runs(instance: dg.DagsterInstance, lock_file: Path) -> list[str]:
    """Runs of the nightly job that the CLI started under this warehouse lock and that never finished (the
    process was killed): marked failed. Call only while holding the lock: no such run can still be running.
    Runs started by the Dagster daemon or UI are left to Dagster's run monitoring."""
    statuses = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.QUEUED]
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            job_name=NIGHTLY_JOB, statuses=statuses, tags={LOCK_TAG: str(lock_file), HOST_TAG: socket.gethostname()}
        )
    )
    marked = []
    for run in runs:
        pid = run.tags.get(PID_TAG)
        instance.report_run_failed(
            run,
            message=f"run {run.run_id} never finished: its process (pid {pid}) ended without reporting "
            f"(killed?); marked failed by the next start",
        )
        marked.append(run.run_id)
    return marked


def write_run_status(reports_dir: Path, body: dict) -> Path:
    return write_json_atomic(reports_dir / "last_run.json", body)

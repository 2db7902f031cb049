"""Command line: `python -m cs_warehouse <command>`.

run              generate the default sample data if the landing folder is empty, then the nightly build
nightly          the nightly build only (ingest, dbt build, checks, reports), in-process
backfill         the nightly build over past event days: --from YYYY-MM-DD --to YYYY-MM-DD (their files reload)
load             ingest the landing folder into the raw schema (no dbt)
summary          print the KPI summary of the current warehouse
deliver-alerts   deliver the open alerts of the serving copy on the configured channels (CSW_DELIVERY_*), each
                 episode once; --dry-run writes the messages to files instead (also without any channel)

run, nightly, backfill and load hold the warehouse lock (<warehouse file>.lock): a second one started
meanwhile waits up to CSW_LOCK_TIMEOUT_SECONDS (default 0) and then refuses with exit code 75. Any error
of these commands ends in last_failure.json beside the serving copy, a notification, one line on stderr
and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import uuid
from pathlib import Path

from cs_warehouse.nightly_log import log_path, nightly_loggers
from cs_warehouse.settings import PROJECT_DIR, Settings

LOCKED_COMMANDS = ("run", "nightly", "backfill", "load")


class UsageError(Exception):
    """The command line is wrong (argparse's message)."""


DEFAULT_DATASET = {"accounts": 300, "months": 24, "seed": 42}


def landing_is_empty(landing_dir: Path) -> bool:
    return not landing_dir.exists() or not any(landing_dir.iterdir())


def generate_default_data(settings: Settings) -> None:
    from cs_warehouse.generator import generate

    print(
        f"Landing folder {settings.landing_dir} is empty: generating the default sample dataset "
        "({accounts} accounts x {months} months, seed {seed}).".format(**DEFAULT_DATASET)
    )
    generate(out_dir=settings.landing_dir, **DEFAULT_DATASET)


class Stage:
    """Where the command is, for the failure record."""

    name = "arguments"


INSTANCE_CONFIG = """\
# Written by cs_warehouse when DAGSTER_HOME had no dagster.yaml: run history and logs in this folder (the
# default storage), and no usage statistics sent. Edit freely; it is not written again.
telemetry:
  enabled: false
"""


def dagster_instance():
    import dagster as dg

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_DIR / ".dagster_home"))
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # an instance of its own: local storage, no telemetry (the warehouse runs offline)
        config.write_text(INSTANCE_CONFIG, encoding="utf-8")
    return dg.DagsterInstance.get()


def start_up(settings: Settings, lock_file: Path, command: str) -> list[str]:
    """Under the lock: remove temp files a killed publish left, and mark failed the nightly runs a killed
    CLI left STARTED (each recorded in last_failure.json and notified). Returns their run ids."""
    from cs_warehouse.notify import notify_failure
    from cs_warehouse.publish import record_failed_night, remove_stale_temp_files, reserve_failure_record_space
    from cs_warehouse.runs import mark_abandoned_runs

    settings.serving_path.parent.mkdir(parents=True, exist_ok=True)
    for path in remove_stale_temp_files(settings.serving_path.parent) + remove_stale_temp_files(settings.reports_dir):
        print(f"Removed {path.name}, left by a killed run.", file=sys.stderr)
    reserve_failure_record_space(settings.serving_path.parent)
    with dagster_instance() as instance:
        marked = mark_abandoned_runs(instance, lock_file)
    for run_id in marked:
        reason = f"run {run_id} never finished (its process was killed); marked failed"
        print(reason, file=sys.stderr)
        cause = {"type": "RunKilled", "message": reason}
        record_failed_night(settings.serving_path, run_id, [reason], cause, stage="killed", command=command)
        notify_failure(
            f"nightly build {run_id} was killed; serving copy unchanged", [reason], settings.notify_webhook_url
        )
    return marked


def run_nightly(
    settings: Settings,
    event_days: tuple[dt.date, dt.date] | None = None,
    lock_file: Path | None = None,
    command: str | None = None,
    stage: Stage | None = None,
    abandoned: list[str] | None = None,
) -> bool:
    """The nightly job in this process, over every event day with new or changed files, or over the given
    first and last event day (a backfill: those days' files are reloaded whether changed or not)."""
    from cs_warehouse.defs.jobs import report_failed_run, yesterday_in_tokyo
    from cs_warehouse.runs import (
        RANGE_END_TAG,
        RANGE_START_TAG,
        cli_run_tags,
        partition_range_tags,
        pending_event_days,
        write_run_status,
    )

    stage = stage or Stage()
    stage.name = "partition discovery"
    days = list(event_days) if event_days else pending_event_days(settings.landing_dir, settings.warehouse_path)
    tags = partition_range_tags(days, yesterday_in_tokyo(), reload=bool(event_days))
    stage.name = "run"
    from cs_warehouse.definitions import defs

    job = defs.resolve_job_def("nightly_build")
    run_tags = {**tags, **(cli_run_tags(lock_file) if lock_file else {})}
    run_id = str(uuid.uuid4())
    log_file = log_path(settings.warehouse_path, run_id)
    print(f"Nightly run {run_id}; the full log: {log_file}", flush=True)
    with dagster_instance() as instance, nightly_loggers(log_file, run_id) as logging_setup:
        with contextlib.redirect_stdout(logging_setup["file"]):
            result = job.with_logger_defs(logging_setup["logger_defs"]).execute_in_process(
                run_config=logging_setup["run_config"],
                instance=instance,
                tags=run_tags,
                run_id=run_id,
                raise_on_error=False,
            )
        status = {
            "run_id": result.run_id,
            "success": result.success,
            "event_days": [tags[RANGE_START_TAG], tags[RANGE_END_TAG]],
        }
        if abandoned:
            status["killed_runs_marked_failed"] = abandoned
        if not result.success:
            status["reasons"] = report_failed_run(result.run_id, instance, command=command)
            for reason in status["reasons"]:
                print(f"  - {reason}", file=sys.stderr)
            print(f"The full log: {log_file}", file=sys.stderr)
    write_run_status(settings.reports_dir, status)
    return result.success


def print_summary(settings: Settings) -> None:
    from cs_warehouse.summary import format_summary, write_summary

    summary = write_summary(settings.serving_path, settings.reports_dir)
    print()
    print(format_summary(summary))
    print()
    print(f"Warehouse (DuckDB): {settings.warehouse_path}")
    print(f"Serving copy (BI):  {settings.serving_path}")
    print(f"Reports:            {settings.reports_dir}")
    print("Look around:        make dev  (Dagster UI on http://127.0.0.1:3000)")


def deliver_alerts_command(settings: Settings, dry_run: bool) -> int:
    """Outside the nightly: the same delivery as its step. Exit code 1 when an attempt failed (retried on the next
    run), 0 otherwise."""
    from cs_warehouse.delivery import deliver_alerts

    try:
        result = deliver_alerts(settings.serving_path, settings.warehouse_path, settings.delivery, dry_run=dry_run)
    except Exception as exc:  # no serving copy, a column missing, another delivery running: said, not recorded
        print(f"cs_warehouse deliver-alerts: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"Alert delivery: {result.text()}")
    return 1 if any(by_status.get("failed") for by_status in result.counts.values()) else 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # recorded like any other failure instead of argparse's bare exit
        raise UsageError(f"{self.prog}: {message}") from None  # argparse's message names the argument


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="cs_warehouse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "nightly", "backfill", "load", "summary", "deliver-alerts"])
    parser.add_argument("--from", dest="first_day", type=dt.date.fromisoformat, help="backfill: first event day")
    parser.add_argument("--to", dest="last_day", type=dt.date.fromisoformat, help="backfill: last event day")
    parser.add_argument("--dry-run", action="store_true", help="deliver-alerts: write the messages to files only")
    args = parser.parse_args(argv)
    if args.command == "backfill" and (
        args.first_day is None or args.last_day is None or args.first_day > args.last_day
    ):
        parser.error("backfill needs --from YYYY-MM-DD and --to YYYY-MM-DD, --from not after --to")
    return args


def _serving_path_for_failures(settings: Settings | None) -> Path:
    if settings is not None:
        return settings.serving_path
    try:
        return Settings.from_env().serving_path
    except Exception:  # the settings themselves are broken: the default place
        return PROJECT_DIR / "warehouse" / "serving" / "cs_marts.duckdb"


def record_failure(exc: BaseException, stage: str, command: str, settings: Settings | None) -> int:
    """Record an error that stopped the command (last_failure.json, notification) and say it on stderr
    in one line. Returns the exit code."""
    from cs_warehouse.notify import notify_failure
    from cs_warehouse.publish import record_failed_night
    from cs_warehouse.runs import root_cause_of_exception

    cause = root_cause_of_exception(exc)
    named = not cause.path or cause.path in cause.message
    reason = f"{stage} failed: {cause.text()}" + ("" if named else f" (file {cause.path})")
    where = ""
    try:
        path = record_failed_night(
            _serving_path_for_failures(settings), None, [reason], cause.as_dict(), stage=stage, command=command
        )
        where = f" (recorded in {path})"
    except Exception as record_exc:  # the record itself failed (e.g. disk full): stderr still says why
        where = f" (could not write last_failure.json: {type(record_exc).__name__}: {record_exc})"
    webhook = settings.notify_webhook_url if settings else os.environ.get("CSW_NOTIFY_WEBHOOK_URL") or None
    notify_failure(f"`cs_warehouse {command}` failed; serving copy unchanged", [reason], webhook)
    print(f"cs_warehouse: {reason}{where}", file=sys.stderr)
    return 2 if isinstance(exc, UsageError) else 1


def main(argv: list[str] | None = None) -> int:
    """Every error of run, nightly, backfill and load, at any stage, is recorded (see record_failure)."""
    from cs_warehouse.runlock import LOCK_HELD_EXIT_CODE, LockHeldError, lock_timeout_seconds, warehouse_lock

    argv = sys.argv[1:] if argv is None else argv
    command = " ".join(argv)
    stage = Stage()
    settings: Settings | None = None
    try:
        args = parse_args(argv)
        stage.name = "settings"
        settings = Settings.from_env()
        if args.command == "summary":
            stage.name = "summary"
            print_summary(settings)
            return 0
        if args.command == "deliver-alerts":
            stage.name = "deliver-alerts"
            return deliver_alerts_command(settings, args.dry_run)
        stage.name = "lock"
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        with warehouse_lock(settings.warehouse_path, f"cs_warehouse {command}", lock_timeout_seconds()) as lock:
            try:
                stage.name = "start-up"
                abandoned = start_up(settings, lock, command)
                return _locked_command(args, settings, lock, command, stage, abandoned)
            except BaseException as exc:  # recorded while the lock is still held: no other run interleaves
                if isinstance(exc, SystemExit) and exc.code in (0, None):
                    raise
                return record_failure(exc, stage.name, command, settings)
    except LockHeldError as exc:
        print(f"cs_warehouse: refused: {exc}", file=sys.stderr)
        return LOCK_HELD_EXIT_CODE
    except SystemExit as exc:  # --help
        if exc.code in (0, None):
            return 0
        return record_failure(exc, stage.name, command, settings)
    except BaseException as exc:
        if stage.name in ("summary", "deliver-alerts"):  # not a night: nothing to record
            raise
        return record_failure(exc, stage.name, command, settings)


def _locked_command(
    args: argparse.Namespace, settings: Settings, lock: Path, command: str, stage: Stage, abandoned: list[str]
) -> int:
    if args.command == "load":
        from cs_warehouse.ingestion.load import load_landing

        stage.name = "load"
        for r in load_landing(settings.warehouse_path, settings.landing_dir):
            state = (
                "unchanged"
                if r.skipped
                else f"read {r.rows_read}, loaded {r.rows_loaded}, quarantined {r.rows_quarantined}"
            )
            print(f"{r.entity:<24} {r.source_file:<48} {state}")
        return 0
    if args.command == "run" and landing_is_empty(settings.landing_dir):
        stage.name = "sample data"
        generate_default_data(settings)
    event_days = (args.first_day, args.last_day) if args.command == "backfill" else None
    if not run_nightly(settings, event_days, lock, command, stage, abandoned):
        print(
            "The nightly build failed; the serving copy was not replaced. Reasons above, the run in the Dagster "
            "UI (make dev).",
            file=sys.stderr,
        )
        return 1
    stage.name = "summary"
    print_summary(settings)
    return 0

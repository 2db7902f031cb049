"""Command line: `python -m cs_warehouse <command>`.

run              generate the default sample data if the landing folder is empty, then the nightly build
nightly          the nightly build only (ingest, dbt build, checks, reports), in-process
backfill         the nightly build over past event days: --from YYYY-MM-DD --to YYYY-MM-DD (their files reload)
load             ingest the landing folder into the raw schema (no dbt)
summary          print the KPI summary of the current warehouse
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from cs_warehouse.settings import PROJECT_DIR, Settings

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


def run_nightly(settings: Settings, event_days: tuple[dt.date, dt.date] | None = None) -> bool:
    """The nightly job in this process, over every event day with new or changed files, or over the given
    first and last event day (a backfill: those days' files are reloaded whether changed or not)."""
    import dagster as dg

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_DIR / ".dagster_home"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    from cs_warehouse.definitions import defs
    from cs_warehouse.defs.jobs import report_failed_run, yesterday_in_tokyo
    from cs_warehouse.runs import partition_range_tags, pending_event_days, write_run_status

    days = list(event_days) if event_days else pending_event_days(settings.landing_dir, settings.warehouse_path)
    tags = partition_range_tags(days, yesterday_in_tokyo())
    job = defs.resolve_job_def("nightly_build")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
        status = {"run_id": result.run_id, "success": result.success, "event_days": list(tags.values())}
        if not result.success:
            status["reasons"] = report_failed_run(result.run_id, instance)
            for reason in status["reasons"]:
                print(f"  - {reason}", file=sys.stderr)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cs_warehouse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["run", "nightly", "backfill", "load", "summary"])
    parser.add_argument("--from", dest="first_day", type=dt.date.fromisoformat, help="backfill: first event day")
    parser.add_argument("--to", dest="last_day", type=dt.date.fromisoformat, help="backfill: last event day")
    args = parser.parse_args(argv)
    event_days = None
    if args.command == "backfill":
        if args.first_day is None or args.last_day is None or args.first_day > args.last_day:
            parser.error("backfill needs --from YYYY-MM-DD and --to YYYY-MM-DD, --from not after --to")
        event_days = (args.first_day, args.last_day)
    settings = Settings.from_env()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)

    if args.command == "load":
        from cs_warehouse.ingestion.load import load_landing

        for r in load_landing(settings.warehouse_path, settings.landing_dir):
            state = (
                "unchanged"
                if r.skipped
                else f"read {r.rows_read}, loaded {r.rows_loaded}, quarantined {r.rows_quarantined}"
            )
            print(f"{r.entity:<24} {r.source_file:<48} {state}")
        return 0
    if args.command == "summary":
        print_summary(settings)
        return 0
    if args.command == "run" and landing_is_empty(settings.landing_dir):
        generate_default_data(settings)
    if not run_nightly(settings, event_days):
        print(
            "The nightly build failed; the serving copy was not replaced. Reasons above, the run in the Dagster "
            "UI (make dev).",
            file=sys.stderr,
        )
        return 1
    print_summary(settings)
    return 0

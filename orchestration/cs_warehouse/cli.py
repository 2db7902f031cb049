"""The command line: `cs-warehouse <command>` (also `python -m cs_warehouse <command>`); `--help` lists the
commands, `cs-warehouse <command> --help` their options.

run, nightly, backfill and load hold the warehouse lock (<warehouse file>.lock): a second one started
meanwhile waits up to CSW_LOCK_TIMEOUT_SECONDS (default 0) and then refuses with exit code 75. Any error
of these commands, a wrong command line included, ends in last_failure.json beside the serving copy, a
notification, one line on stderr and a non-zero exit code (2 for a wrong command line).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import uuid
from pathlib import Path
from typing import NoReturn

import click

from cs_warehouse.engines import TARGETS
from cs_warehouse.nightly_log import log_path, nightly_loggers
from cs_warehouse.settings import PROJECT_DIR, Settings


class UsageError(Exception):
    """The command line is wrong (the parser's message)."""


DEFAULT_DATASET = {"accounts": 300, "months": 24, "seed": 42}


def landing_is_empty(landing_dir: Path) -> bool:
    return not landing_dir.exists() or not any(landing_dir.iterdir())


def generate_default_data(settings: Settings) -> None:
    from cs_warehouse.tooling.generator import generate

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
    from cs_warehouse.defs.jobs import report_failed_run
    from cs_warehouse.runs import (
        RANGE_END_TAG,
        RANGE_START_TAG,
        cli_run_tags,
        partition_range_tags,
        pending_event_days,
        write_run_status,
    )
    from cs_warehouse.settings import yesterday_in

    stage = stage or Stage()
    stage.name = "partition discovery"
    days = list(event_days) if event_days else pending_event_days(settings.landing_dir, settings.warehouse_path)
    tags = partition_range_tags(days, yesterday_in(settings.reporting_timezone), reload=bool(event_days))
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
            status["reasons"] = report_failed_run(result.run_id, instance, settings, command=command)
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


def _run_locked(ctx: click.Context, body) -> int:
    """Run one of the locked commands: body(settings, lock, stage, abandoned) -> exit code, under the warehouse
    lock, after the start-up clean-up; every error at any stage is recorded (see record_failure)."""
    from cs_warehouse.runlock import LOCK_HELD_EXIT_CODE, LockHeldError, lock_timeout_seconds, warehouse_lock

    command = ctx.obj["command"]
    stage = Stage()
    settings: Settings | None = None
    try:
        stage.name = "settings"
        settings = Settings.from_env()
        stage.name = "lock"
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        with warehouse_lock(settings.warehouse_path, f"cs_warehouse {command}", lock_timeout_seconds()) as lock:
            try:
                stage.name = "start-up"
                abandoned = start_up(settings, lock, command)
                return body(settings, lock, stage, abandoned)
            except BaseException as exc:  # recorded while the lock is still held: no other run interleaves
                if isinstance(exc, SystemExit) and exc.code in (0, None):
                    raise
                return record_failure(exc, stage.name, command, settings)
    except LockHeldError as exc:
        print(f"cs_warehouse: refused: {exc}", file=sys.stderr)
        return LOCK_HELD_EXIT_CODE
    except BaseException as exc:
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            raise
        return record_failure(exc, stage.name, command, settings)


def _night(
    settings: Settings,
    lock: Path,
    command: str,
    stage: Stage,
    abandoned: list[str],
    event_days: tuple[dt.date, dt.date] | None = None,
) -> int:
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


class IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


ISO_DATE = IsoDate()
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
A_PATH = click.Path(path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """The Customer Success KPI warehouse: the nightly build, its operations and the developer tools.

    run, nightly, backfill and load hold the warehouse lock: a second one waits up to CSW_LOCK_TIMEOUT_SECONDS
    (default 0), then refuses with exit code 75. Their errors, a wrong command line included, are recorded in
    last_failure.json beside the serving copy and notified.
    """


# --- the nightly build and its operations -----------------------------------------------------------------


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> int:
    """Sample data if none, the nightly build, the KPIs.

    Generates the default sample dataset when the landing folder is empty, then runs the nightly build and
    prints the KPI summary.
    """

    def body(settings: Settings, lock: Path, stage: Stage, abandoned: list[str]) -> int:
        if landing_is_empty(settings.landing_dir):
            stage.name = "sample data"
            generate_default_data(settings)
        return _night(settings, lock, ctx.obj["command"], stage, abandoned)

    return _run_locked(ctx, body)


@cli.command()
@click.pass_context
def nightly(ctx: click.Context) -> int:
    """The nightly build on new or changed files.

    Ingest, dbt build, checks, publish and reports, in this process, over every event day with new or changed
    files; then the KPI summary.
    """
    return _run_locked(
        ctx, lambda settings, lock, stage, abandoned: _night(settings, lock, ctx.obj["command"], stage, abandoned)
    )


@cli.command()
@click.option("--from", "first_day", type=ISO_DATE, required=True, help="First event day to rebuild.")
@click.option("--to", "last_day", type=ISO_DATE, required=True, help="Last event day to rebuild.")
@click.pass_context
def backfill(ctx: click.Context, first_day: dt.date, last_day: dt.date) -> int:
    """The nightly build over past event days.

    The files of the event days from --from to --to are reloaded whether changed or not.
    """
    if first_day > last_day:
        raise click.UsageError(f"--from {first_day} is after --to {last_day}")

    def body(settings: Settings, lock: Path, stage: Stage, abandoned: list[str]) -> int:
        return _night(settings, lock, ctx.obj["command"], stage, abandoned, (first_day, last_day))

    return _run_locked(ctx, body)


@cli.command()
@click.pass_context
def load(ctx: click.Context) -> int:
    """Ingest the landing folder into the raw schema.

    No dbt; one line per file: rows read, loaded and quarantined, or unchanged.
    """

    def body(settings: Settings, lock: Path, stage: Stage, abandoned: list[str]) -> int:
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

    return _run_locked(ctx, body)


@cli.command()
def summary() -> int:
    """Print the KPI summary of the serving copy.

    Exit code 1, with the reason in one line, when there is no serving copy yet or the settings are wrong.
    """
    try:
        print_summary(Settings.from_env())
    except (FileNotFoundError, ValueError) as exc:
        print(f"cs-warehouse summary: {exc}", file=sys.stderr)
        return 1
    return 0


@cli.command("deliver-alerts")
@click.option("--dry-run", is_flag=True, help="Write the messages to files instead of sending them.")
def deliver_alerts(dry_run: bool) -> int:
    """Send the open alerts of the serving copy.

    On the configured channels (CSW_DELIVERY_*), each episode once. Exit code 1 when a delivery failed (it is
    retried next time).
    """
    return deliver_alerts_command(Settings.from_env(), dry_run)


@cli.group()
def gates() -> None:
    """The publish gates."""


@gates.command()
@click.argument("subject")
@click.option("--reason", required=True, help="Why the change is real (kept in the ledger).")
@click.option("--by", help="Who accepts (default: $CSW_OPERATOR, else the login name).")
def accept(subject: str, reason: str, by: str | None) -> int:
    """Let a real change the gates stopped publish once.

    SUBJECT is a snapshot entity (accounts, contracts, ...) or mrr; the change of it that currently fails its
    gate publishes on the next night, and the acceptance is kept in the ledger.
    """
    from cs_warehouse.contract import load_contract
    from cs_warehouse.gates import accept as accept_change
    from cs_warehouse.gates import ledger_path

    settings = Settings.from_env()
    snapshots = [e.name for e in load_contract().load_order() if not e.partitioned_by_day]
    try:
        entries = accept_change(subject, reason, settings.warehouse_path, settings.serving_path, snapshots, by=by)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for entry in entries:
        print(f"accepted ({entry['gate']}): {entry['message']}")
    print(f"recorded in {ledger_path(settings.serving_path)}; the next night publishes this change once")
    return 0


@cli.command()
@click.option("--docs", is_flag=True, help="Also store the results and build the Great Expectations Data Docs.")
@click.option("--fail-on-warnings", is_flag=True, help="Exit 1 when a warning fails too.")
@click.option("--dbt-run-results", type=A_PATH, help="dbt's run_results.json: its warn and failed nodes count too.")
def quality(docs: bool, fail_on_warnings: bool, dbt_run_results: Path | None) -> int:
    """Run every Great Expectations suite once.

    Prints each suite's expectation count, failures and wall time.

    Uses the settings of the Dagster checks (CSW_DUCKDB_PATH, CSW_GX_DOCS_DIR, CSW_QUALITY_HISTORY_DIR,
    CSW_AS_OF_DATE). Exit code 1 when a critical expectation fails; with --fail-on-warnings also when a warning
    fails or (with --dbt-run-results) a dbt node ended other than passed: the check that a clean build raises
    no warning (make test-dbt).
    """
    from cs_warehouse.quality.run_all import run_all_suites

    return run_all_suites(docs=docs, fail_on_warnings=fail_on_warnings, dbt_run_results=dbt_run_results)


@cli.command()
@click.option("--metrics", required=True, help="Comma-separated metric names (docs/kpis.md).")
@click.option("--group-by", default="", help="Comma-separated, e.g. metric_time__fiscal_quarter.")
@click.option("--where", multiple=True, help="A MetricFlow filter (repeatable).")
@click.option("--order", default="", help="Comma-separated; '-name' sorts descending (default: the group-by).")
@click.option("--limit", type=int, help="At most this many rows.")
@click.option("--decimals", type=int, default=4, show_default=True, help="Decimals shown.")
@click.option("--warehouse", type=A_PATH, help="A DuckDB file (default: the serving copy).")
@click.option("--manifest", type=A_PATH, help="semantic_manifest.json (default: the serving copy's).")
def query(**options) -> int:
    """Query the semantic layer on the serving copy.

    Read-only; the semantic manifest published with the serving copy unless --manifest is given.
    """
    from cs_warehouse.semantic_query import run_query

    return run_query(**options)


@cli.group()
def engines() -> None:
    """PostgreSQL and Spark."""


@engines.command("load-raw")
@click.option("--target", type=click.Choice(TARGETS), required=True, help="The engine to load.")
def load_raw(target: str) -> int:
    """Copy the warehouse's raw schema to an engine."""
    from cs_warehouse.engines.raw_export import load_raw as copy_raw

    result = copy_raw(target, Settings.from_env().warehouse_path)
    for table, rows in result.tables.items():
        print(f"  raw.{table}: {rows} rows")
    print(f"Loaded {len(result.tables)} raw tables into {result.target} in {result.seconds:.1f}s")
    return 0


@engines.command("publish-postgres")
def publish_postgres() -> int:
    """Publish the marts to PostgreSQL for BI.

    Into schema `marts`, read by a read-only role.
    """
    from cs_warehouse.engines.pg_serving import publish_marts_postgres

    settings = Settings.from_env()
    source = settings.serving_path if settings.serving_path.exists() else settings.warehouse_path
    published = publish_marts_postgres(source)
    print(f"Published {len(published.tables)} marts to PostgreSQL schema {published.schema}")
    return 0


# --- developer tooling (cs_warehouse.tooling) -------------------------------------------------------------


@cli.command()
@click.option("--out", type=A_PATH, required=True, help="Landing folder to write: missing or empty unless --force.")
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty --out folder: the generator's files are replaced (product_events/ as a "
    "whole), any other file is left in place.",
)
@click.option("--accounts", type=int, required=True, help="Number of CRM accounts (about 10% of them prospects).")
@click.option("--months", type=int, required=True, help="Months of history ending at --end-date.")
@click.option("--seed", type=int, required=True, help="Random seed: the same seed writes the same files.")
@click.option("--end-date", type=ISO_DATE, help="Last day of data (default: yesterday in Asia/Tokyo).")
@click.option("--messy", is_flag=True, help="Add a known number of broken rows per rule.")
@click.option(
    "--events-per-user-day", type=float, help="Mean events per live user on a full-activity weekday (default 1)."
)
@click.option("--event-format", type=click.Choice(["parquet", "jsonl"]), help="Product event files (default parquet).")
def generate(out: Path, force: bool, **options) -> int:
    """Write a synthetic landing folder.

    Deterministic for a seed: CRM, support and survey CSVs, product events.
    """
    import json

    from cs_warehouse.tooling.generator import generate as generate_landing

    if out.is_dir() and any(out.iterdir()) and not force:
        print(
            f"cs-warehouse generate: {out} is not empty; nothing written. Generate into a missing or empty "
            "folder (`make data CSW_LANDING_DIR=...`), or overwrite with --force (`make data FORCE=1`): the "
            "generator's files are replaced, other files stay.",
            file=sys.stderr,
        )
        return 2
    summary = generate_landing(out, **{name: value for name, value in options.items() if value is not None})
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


@cli.command("import-ravenstack")
@click.option("--mapping", type=A_PATH, default=PROJECT_DIR / "mappings" / "ravenstack.yml", show_default=True)
@click.option("--source", type=A_PATH, default=PROJECT_DIR / "datasets" / "ravenstack", show_default=True)
@click.option("--out", type=A_PATH, default=PROJECT_DIR / "build" / "ravenstack", show_default=True)
def import_ravenstack(mapping: Path, source: Path, out: Path) -> int:
    """Import the RavenStack export through its mapping.

    Into OUT/landing, loaded into OUT/warehouse.duckdb, with the reconciliation report OUT/import_report.md and
    .json. Exit code 1 when the counts do not reconcile.
    """
    from cs_warehouse.tooling.importer import import_to

    return import_to(mapping, source, out)


@cli.command()
@click.argument("warehouse", type=EXISTING_FILE)
@click.option("--compare", type=EXISTING_FILE, help="A fingerprint JSON written earlier: print the differences.")
@click.option("--schemas", default="raw,staging,intermediate,marts", show_default=True, help="Comma-separated.")
def fingerprint(warehouse: Path, compare: Path | None, schemas: str) -> int:
    """Row count and hash of every table, or the differences.

    Prints the row count and an order-independent hash of every table of WAREHOUSE (a DuckDB file, opened
    read-only) as JSON; with --compare, the tables that differ from a saved fingerprint (exit code 1 if any).
    """
    from cs_warehouse.tooling.fingerprint import compare_command

    return compare_command(warehouse, compare, tuple(schemas.split(",")))


@cli.group()
def docs() -> None:
    """Write the docs generated from the project's YAML."""


@docs.command("static-page")
@click.option("--target-dir", type=A_PATH, default=PROJECT_DIR / "target", help="dbt's target folder.")
def static_page(target_dir: Path) -> int:
    """Write the offline dbt docs page.

    target/static_index.html, after `dbt docs generate`: one file, every description led by its Japanese
    label.
    """
    from cs_warehouse.tooling.dbt_docs import DocsError, write_static

    try:
        out = write_static(target_dir)
    except DocsError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


@docs.command()
@click.argument("target", type=A_PATH, required=False)
def kpis(target: Path | None) -> int:
    """Write docs/kpis.md (or TARGET) from the models' yml."""
    from cs_warehouse.tooling.kpi_docs import DOC_PATH, render

    target = target or DOC_PATH
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


@docs.command("raw-contract")
@click.argument("target", type=A_PATH, required=False)
def raw_contract(target: Path | None) -> int:
    """Write docs/raw_contract.md (or TARGET).

    From contract/raw_contract.yml.
    """
    from cs_warehouse.contract import load_contract
    from cs_warehouse.tooling.contract_docs import DOC_PATH, render

    target = target or DOC_PATH
    target.write_text(render(load_contract()), encoding="utf-8")
    print(f"wrote {target}")
    return 0


@cli.command("semantic-check")
@click.option("--project-dir", type=A_PATH, default=PROJECT_DIR, help="The dbt project.")
def semantic_check(project_dir: Path) -> int:
    """Validate the semantic models and metrics.

    Offline, no warehouse opened: MetricFlow's validation and a Japanese label on every metric. Exit code 1 on
    any error.
    """
    from cs_warehouse.tooling.semantic_check import validate

    errors, metrics = validate(project_dir.resolve())
    if errors:
        print(f"Semantic layer: {len(errors)} error(s)", file=sys.stderr)
        for error in errors:
            print(f"- {error}", file=sys.stderr)
        return 1
    print(f"Semantic layer valid: {metrics} metrics, every one with a Japanese label.")
    return 0


@cli.command("pr-check")
@click.option("--base", default="origin/main", show_default=True, help="The git ref the changes are compared to.")
@click.option("--state", type=A_PATH, help="Folder with the production manifest.json.")
@click.option("--warehouse", type=A_PATH, help="The production warehouse file (only read).")
@click.option("--out", type=A_PATH, default=PROJECT_DIR / "build" / "pr-check", help="Where the copy and report go.")
@click.option("--project-dir", type=A_PATH, default=PROJECT_DIR, help="The dbt project (a git work tree).")
def pr_check(**options) -> int:
    """The checks of a pull request.

    Lints the files changed against BASE, builds what changed on a copy of production (dbt state:modified+
    with --defer) and writes the KPI impact diff OUT/kpi_impact.md. Exit code 1 when a check fails.
    """
    from cs_warehouse.tooling.pr_check import check

    return check(**options)


@cli.command()
@click.option("--sizes", default="1M", show_default=True, help="Product events per dataset, comma-separated.")
@click.option("--repeats", default="3", show_default=True, help="Runs per size: one number, or one per size (3,3,1).")
@click.option("--out", type=A_PATH, default=PROJECT_DIR / "benchmarks" / "results.md", help="The Markdown results.")
@click.option("--work-dir", type=A_PATH, default=Path("/tmp/bench"), help="Data, warehouses, dbt target.")
@click.option(
    "--memory-budget-gib", type=float, default=12.0, show_default=True, help="A command using more is stopped."
)
@click.option("--timeout-minutes", type=float, default=60.0, show_default=True, help="A longer command is stopped.")
@click.option("--end-date", type=ISO_DATE, help="Last event day (default: yesterday in Asia/Tokyo).")
@click.option("--rerender", type=EXISTING_FILE, help="Recompute the summaries of a results JSON, rewrite both.")
@click.option("--merge", type=EXISTING_FILE, multiple=True, help="A results JSON to merge into --out (repeatable).")
@click.pass_context
def bench(ctx: click.Context, **options) -> int:
    """The benchmark (not part of make test).

    Per size, a generated dataset; per repeat, the full nightly build, an incremental night and an idle night,
    measured; the results as Markdown and JSON (docs/performance.md).
    """
    from cs_warehouse.tooling.bench.cli import benchmark

    return benchmark(command=f"cs-warehouse {ctx.obj['command']}", **options)


LOCKED_COMMANDS = ("run", "nightly", "backfill", "load")


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code. A wrong command line of run, nightly, backfill or load is
    recorded like any failure of theirs (exit code 2); of another command it is said on stderr (exit code 2)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = " ".join(argv)
    try:
        code = cli.main(args=argv, prog_name="cs-warehouse", standalone_mode=False, obj={"command": command})
    except click.ClickException as exc:  # usage errors, before any command ran
        if argv and argv[0] in LOCKED_COMMANDS:
            message = f"cs-warehouse {argv[0]}: {exc.format_message()}"
            return record_failure(UsageError(message), Stage.name, command, None)
        exc.show()
        return exc.exit_code
    except click.Abort:
        print("Aborted.", file=sys.stderr)
        return 1
    return code or 0


def entry_point() -> NoReturn:
    """`cs-warehouse` and `python -m cs_warehouse`. Everything the command opened is closed by the time it
    returns; flush what it wrote and leave without the interpreter's teardown, where DuckDB's bindings would
    list objects other libraries still hold (nanobind's "leaked N instances" dump) after the summary."""
    import logging

    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

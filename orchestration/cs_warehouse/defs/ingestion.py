"""Ingestion assets: the landing folder into the raw schema, one asset per contract entity.

A landing file that cannot be read is a deterministic input error: the step fails at once with the file's
own message (no retry; a retry reads the same file). Other errors (a locked file, a full disk) are retried.
Each ingestion step holds the warehouse lock (cs_warehouse.runlock) while it writes, so a run started by the
schedule, the sensor or the UI never loads into the warehouse while a CLI night does.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from cs_warehouse.contract import load_contract
from cs_warehouse.ingestion.audit import RAW_SCHEMA
from cs_warehouse.ingestion.discovery import PARTITION_DIR, MissingExportError, PartitionFolderError
from cs_warehouse.ingestion.load import FileResult, Loader
from cs_warehouse.ingestion.readers import UnreadableFileError
from cs_warehouse.runlock import lock_timeout_seconds, warehouse_lock
from cs_warehouse.runs import EVENT_FILES_TAG, NEW_OR_CHANGED, root_cause_of_exception
from cs_warehouse.settings import Settings, yesterday_in
from cs_warehouse.warehouse import WarehouseResource

# Errors that the same input raises every time: never retried.
DETERMINISTIC_INPUT_ERRORS: tuple[type[Exception], ...] = (
    UnreadableFileError,
    MissingExportError,
    PartitionFolderError,
)
TRANSIENT_RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=10)

CONTRACT = load_contract()


@contextmanager
def ingestion_guard(context: dg.AssetExecutionContext, settings: Settings) -> Iterator[None]:
    """Hold the warehouse lock, and turn a deterministic input error into a Failure that is not retried,
    described by the error's own message and carrying its file, row and rule as metadata."""
    try:
        with warehouse_lock(settings.warehouse_path, f"dagster run {context.run.run_id}", lock_timeout_seconds()):
            yield
    except DETERMINISTIC_INPUT_ERRORS as exc:
        cause = root_cause_of_exception(exc)
        metadata = {"error_type": cause.type, **{k: v for k, v in cause.as_dict().items() if k != "type"}}
        raise dg.Failure(description=str(exc), allow_retries=False, metadata=metadata) from exc


def raw_asset_key(entity: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_SCHEMA, entity])


def _entity_metadata(results: list[FileResult]) -> dict[str, dg.MetadataValue]:
    return {
        "files": dg.MetadataValue.int(len(results)),
        "files_skipped_unchanged": dg.MetadataValue.int(sum(r.skipped for r in results)),
        "rows_read": dg.MetadataValue.int(sum(r.rows_read for r in results if not r.skipped)),
        "rows_loaded": dg.MetadataValue.int(sum(r.rows_loaded for r in results if not r.skipped)),
        "rows_quarantined": dg.MetadataValue.int(sum(r.rows_quarantined for r in results if not r.skipped)),
    }


SNAPSHOT_ENTITIES = [e for e in CONTRACT.load_order() if not e.partitioned_by_day]
EVENTS = CONTRACT.entities["product_events"]


def events_start_date(landing_dir: Path, timezone: str, override: str | None = None) -> str:
    """The first day of the event partitions: `override` (CSW_EVENTS_START_DATE) when set, else the first
    day folder of the landing event log (`product_events/dt=YYYY-MM-DD`, names only: nothing is read), else
    yesterday in `timezone` (no events yet). A folder name that is not a date is left to the load, which
    names it."""
    if override:
        return dt.date.fromisoformat(override).isoformat()
    days = []
    root = landing_dir / EVENTS.name
    if root.is_dir():
        for folder in root.iterdir():
            match = PARTITION_DIR.match(folder.name)
            if match and folder.is_dir():
                with contextlib.suppress(ValueError):
                    days.append(dt.date.fromisoformat(match.group(1)))
    if days:
        return min(days).isoformat()
    return yesterday_in(timezone).isoformat()


def events_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    """Product events are partitioned by the reporting-zone day their landing file belongs to, so a date
    range can be re-ingested (backfilled) from the UI or CLI; one run covers a whole range. The partitions
    start at the first day of data when the definitions load (a running Dagster UI sees older day folders
    that arrive later after a reload of its definitions)."""
    return dg.DailyPartitionsDefinition(
        start_date=events_start_date(settings.landing_dir, settings.reporting_timezone, settings.events_start_date),
        timezone=settings.reporting_timezone,
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            raw_asset_key(entity.name),
            group_name="raw",
            description=entity.description,
            kinds={"duckdb", "python"},
            metadata={"contract_version": CONTRACT.version, "source": entity.source},
        )
        for entity in SNAPSHOT_ENTITIES
    ],
    can_subset=True,
    name="ingest_exports",
    retry_policy=TRANSIENT_RETRY_POLICY,
)
def ingest_exports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
    """Load new or changed CRM, support and survey exports; each row is loaded or quarantined."""
    settings = warehouse.settings
    selected = {key.path[-1] for key in context.selected_asset_keys}
    with ingestion_guard(context, settings), warehouse.connect() as con:
        loader = Loader(con, settings.landing_dir, CONTRACT)
        # Every missing export named at once, before anything is loaded.
        loader.require_exports([e for e in SNAPSHOT_ENTITIES if e.name in selected])
        for entity in SNAPSHOT_ENTITIES:
            if entity.name not in selected:
                continue
            results = loader.load_entity(entity)
            _log_results(context, results)
            yield dg.MaterializeResult(asset_key=raw_asset_key(entity.name), metadata=_entity_metadata(results))


EVENTS_KEY = raw_asset_key(EVENTS.name)


def build_product_events(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The product events asset over `partitions_def` (events_partitions of the code location's settings)."""

    @dg.asset(
        key=EVENTS_KEY,
        group_name="raw",
        description=EVENTS.description,
        kinds={"duckdb", "python"},
        metadata={"contract_version": CONTRACT.version, "source": EVENTS.source},
        deps=[raw_asset_key(e) for e in ("accounts", "product_users")],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=TRANSIENT_RETRY_POLICY,
    )
    def product_events(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """Load the event files of the run's days: only the new or changed ones in a nightly run (tagged
        EVENT_FILES_TAG), all of them otherwise (a backfill or a re-run from the UI reloads those days)."""
        settings = warehouse.settings
        window = context.partition_time_window
        days = set()
        day = window.start.date()
        while day < window.end.date():
            days.add(day)
            day += dt.timedelta(days=1)
        with ingestion_guard(context, settings), warehouse.connect() as con:
            force = context.run.tags.get(EVENT_FILES_TAG) != NEW_OR_CHANGED
            results = Loader(con, settings.landing_dir, CONTRACT).load_entity(EVENTS, days=days, force=force)
        _log_results(context, results)
        return dg.MaterializeResult(metadata=_entity_metadata(results))

    return product_events


def _log_results(context: dg.AssetExecutionContext, results: list[FileResult]) -> None:
    for result in results:
        if not result.skipped:
            context.log.info(
                f"{result.source_file}: read {result.rows_read}, loaded {result.rows_loaded}, "
                f"quarantined {result.rows_quarantined}"
            )


def _reconciliation_check(entity_name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(entity_name),
        name="rows_reconcile",
        blocking=True,
        description="For every landing file: rows read = rows loaded + rows quarantined, and the raw table "
        "holds exactly the rows its current files loaded.",
    )
    def check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            problems = reconciliation_problems(con, entity_name)
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"problems": dg.MetadataValue.json(problems[:20]), "problem_count": len(problems)},
        )

    return check


def reconciliation_problems(con: duckdb.DuckDBPyConnection, entity_name: str) -> list[dict]:
    """Files whose latest load does not reconcile, or whose rows in the raw table differ from the audit."""
    entity = CONTRACT.entities[entity_name]
    rows = con.execute(
        f"""
        with latest as (
            select source_file, arg_max(load_id, loaded_at) as load_id, arg_max(rows_read, loaded_at) as rows_read,
                   arg_max(rows_loaded, loaded_at) as rows_loaded,
                   arg_max(rows_quarantined, loaded_at) as rows_quarantined
            from {RAW_SCHEMA}._load_audit where entity = ? group by source_file
        ),
        in_table as (
            select _source_file as source_file, count(*) as n from {RAW_SCHEMA}.{entity.raw_table} group by 1
        ),
        in_quarantine as (
            select source_file, count(*) as n from {RAW_SCHEMA}._quarantine where entity = ? group by 1
        )
        select latest.source_file, rows_read, rows_loaded, rows_quarantined,
               coalesce(in_table.n, 0) as rows_in_table, coalesce(in_quarantine.n, 0) as rows_in_quarantine
        from latest
        left join in_table using (source_file)
        left join in_quarantine using (source_file)
        where rows_read <> rows_loaded + rows_quarantined
           or coalesce(in_table.n, 0) <> rows_loaded
           or coalesce(in_quarantine.n, 0) <> rows_quarantined
        """,
        [entity_name, entity_name],
    ).fetchall()
    names = ["source_file", "rows_read", "rows_loaded", "rows_quarantined", "rows_in_table", "rows_in_quarantine"]
    return [dict(zip(names, row, strict=True)) for row in rows]


reconciliation_checks = [_reconciliation_check(entity.name) for entity in CONTRACT.load_order()]

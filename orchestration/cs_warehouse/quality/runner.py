"""Validate a quality suite against the DuckDB warehouse with Great Expectations 1.x.

Engine per relation, chosen by its row count:
- up to `pandas_max_rows` rows: the relation is read (read-only DuckDB) into a DataFrame and validated
  by GX's pandas engine, which is the fastest path for small tables;
- above it: GX's SQL engine on the `duckdb_warehouse` datasource (gx_duckdb.py), so every metric is a
  DuckDB aggregate query and only the sampled failing rows come back to Python. A 100-million-row event
  table is never materialised in memory.

Run-time expectations are added per relation: the row count against the previous run (history kept in
JSON files outside the warehouse file, one per relation, so parallel checks never share a file) and the
age of the latest value of a timestamp column (computed in DuckDB, validated on a one-row result).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import logging
import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.expectations.metadata_types import FailureSeverity

from cs_warehouse.quality import gx_duckdb
from cs_warehouse.quality.data_docs import make_offline
from cs_warehouse.quality.spec import CRITICAL, Expect, Part, Suite, expectation_type
from cs_warehouse.settings import duckdb_memory_limit
from cs_warehouse.sqltext import sql_literal

LOG = logging.getLogger(__name__)

# Relations up to this many rows are validated in pandas; larger ones are pushed down to DuckDB.
DEFAULT_PANDAS_MAX_ROWS = 500_000
# Failing rows reported per expectation (check metadata and Data Docs).
SAMPLE_ROWS = 10
# Validation results listed on the Data Docs index page, newest first (a night stores about a hundred). The
# index is rebuilt from the results it lists, so an unbounded list would cost more with every night kept;
# older results stay in the store.
DOCS_INDEX_RESULTS = 500


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    part: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    sample: list[Any] = field(default_factory=list)
    error: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in self.__dict__.items() if v not in (None, [])}


@dataclass
class PartRun:
    name: str
    engine: str
    row_count: int
    seconds: float


@dataclass
class SuiteOutcome:
    suite: Suite
    outcomes: list[ExpectationOutcome]
    parts: list[PartRun]
    seconds: float
    docs_index: Path | None = None
    # validation results stored in the Data Docs store (for `build_docs` when the suite did not build them)
    stored: list[ValidationResultIdentifier] = field(default_factory=list)

    def failures(self, *, critical: bool) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and (o.severity == CRITICAL.value) == critical]

    @property
    def engines(self) -> dict[str, str]:
        return {p.name: p.engine for p in self.parts}


def run_suite(
    suite: Suite,
    warehouse_path: Path,
    *,
    docs_dir: Path | None = None,
    history_dir: Path | None = None,
    now: dt.datetime | None = None,
    pandas_max_rows: int = DEFAULT_PANDAS_MAX_ROWS,
    build_docs: bool = True,
    after_load: str | None = None,
) -> SuiteOutcome:
    """Validate every part of `suite`; record row counts and build Data Docs when the paths are given.

    With `build_docs=False` the results are stored but the pages are left to one `build_data_docs` call for
    several suites (the index page is rebuilt once instead of once per suite). With `after_load`, parts that
    can be restricted to new loads check only the rows of later loads (`Part.new_rows_sql`)."""
    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    context = _context(docs_dir)
    run_id = RunIdentifier(run_name=f"{suite.name}-{uuid.uuid4().hex[:8]}", run_time=now)
    outcomes: list[ExpectationOutcome] = []
    parts: list[PartRun] = []
    stored: list[ValidationResultIdentifier] = []
    for part in _with_freshness_parts(suite, now, after_load):
        part_started = time.perf_counter()
        try:
            row_count = _row_count(warehouse_path, part.sql)
        except duckdb.CatalogException as exc:
            # A relation the suite reads is missing: nothing downstream can be trusted.
            outcomes.append(
                ExpectationOutcome(
                    suite.name, part.name, "relation_exists", None, CRITICAL.value, False, error=str(exc)
                )
            )
            continue
        # GX binds an expectation to the suite it is added to; suites are module-level definitions reused
        # by every run in a long-lived process (dagster dev, a second in-process run), so add copies.
        expectations = [e.build() if isinstance(e, Expect) else copy.copy(e) for e in part.expectations]
        if part.row_count is not None and history_dir is not None:
            previous = _previous_row_count(history_dir, suite.name, part.name)
            if previous is not None:
                expectations.append(_row_count_expectation(previous, part))
        engine = "pandas" if row_count <= pandas_max_rows else "sql"
        gx_suite = gx.ExpectationSuite(name=f"{suite.name}.{part.name}", expectations=expectations)
        gx_suite = context.suites.add_or_update(gx_suite)
        result = _validate(context, engine, warehouse_path, part, gx_suite)
        outcomes.extend(_outcomes(suite.name, part.name, result))
        if part.row_count is not None and history_dir is not None:
            _record_row_count(history_dir, suite.name, part.name, row_count, now)
        if docs_dir is not None:
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=gx_suite.name),
                run_id=run_id,
                batch_identifier=part.name,
            )
            context.validation_results_store.set(key, result)
            stored.append(key)
        parts.append(PartRun(part.name, engine, row_count, time.perf_counter() - part_started))
    docs_index = _build_docs(context, docs_dir, stored) if docs_dir is not None and build_docs else None
    return SuiteOutcome(suite, outcomes, parts, time.perf_counter() - started, docs_index, stored)


def build_data_docs(docs_dir: Path, stored: list[ValidationResultIdentifier]) -> Path:
    """Render the pages of these stored validation results and the Data Docs index, once."""
    return _build_docs(_context(docs_dir), docs_dir, stored)


# --- GX context and validation -----------------------------------------------------------------------


def _context(docs_dir: Path | None) -> Any:
    """An ephemeral GX context; with `docs_dir`, suites and results are files there and Data Docs are built.

    No great_expectations.yml is written: datasources live only for the run, so parallel checks never
    rewrite a shared project config.
    """
    if docs_dir is None:
        return _quiet(gx.get_context(mode="ephemeral"))
    stores_dir = docs_dir / "_stores"

    def store(kind: str, sub: str) -> dict[str, Any]:
        return {
            "class_name": kind,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(stores_dir / sub)},
        }

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        stores={
            "expectations_store": store("ExpectationsStore", "expectations"),
            "validation_results_store": store("ValidationResultsStore", "validations"),
            "validation_definition_store": {"class_name": "ValidationDefinitionStore"},
            "checkpoint_store": {"class_name": "CheckpointStore"},
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        data_docs_sites={
            "warehouse": {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DOCS_INDEX_RESULTS,
                },
            }
        },
        analytics_enabled=False,
    )
    return _quiet(gx.get_context(mode="ephemeral", project_config=config))


def _quiet(context: Any) -> Any:
    """No progress bars on stderr: a nightly's terminal shows its stages, its log file the rest."""
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _validate(context: Any, engine: str, warehouse_path: Path, part: Part, suite: gx.ExpectationSuite) -> Any:
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}
    if part.keys:
        result_format["unexpected_index_column_names"] = list(part.keys)
    source_name = f"{suite.name}.{engine}"
    if engine == "pandas":
        frame = read_frame(warehouse_path, part.sql)
        source = context.data_sources.add_or_update_pandas(name=source_name)
        batch = (
            source.add_dataframe_asset(name=part.name)
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": frame})
        )
        return batch.validate(suite, result_format=result_format)
    with _duckdb_source(context, source_name, warehouse_path) as source:
        batch = (
            source.add_query_asset(name=part.name, query=part.sql).add_batch_definition_whole_table("all").get_batch()
        )
        return batch.validate(suite, result_format=result_format)


@contextmanager
def _duckdb_source(context: Any, name: str, warehouse_path: Path) -> Iterator[Any]:
    source = context.data_sources.add_or_update_duckdb_warehouse(
        name=name, connection_string=gx_duckdb.duckdb_url(str(warehouse_path)), kwargs=gx_duckdb.engine_kwargs()
    )
    try:
        yield source
    finally:
        # Release the read-only handle now: dbt cannot open the file for writing while it is held.
        source.get_execution_engine().close()
        source.get_engine().dispose()


def read_frame(warehouse_path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse_path), read_only=True, config={"memory_limit": duckdb_memory_limit()}) as con:
        return con.execute(sql).df()


def _row_count(warehouse_path: Path, sql: str) -> int:
    with duckdb.connect(str(warehouse_path), read_only=True, config={"memory_limit": duckdb_memory_limit()}) as con:
        return int(con.execute(f"select count(*) from ({sql})").fetchone()[0])


def _outcomes(suite_name: str, part_name: str, result: Any) -> Iterator[ExpectationOutcome]:
    for r in result.results:
        config = r.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or (
            f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else None
        )
        res = r.result or {}
        sample = res.get("partial_unexpected_index_list") or res.get("partial_unexpected_list") or []
        yield ExpectationOutcome(
            suite=suite_name,
            part=part_name,
            expectation=config.type,
            column=column,
            severity=FailureSeverity(config.severity).value,
            success=bool(r.success),
            unexpected_count=res.get("unexpected_count"),
            unexpected_percent=res.get("unexpected_percent"),
            observed_value=res.get("observed_value"),
            sample=list(sample)[:SAMPLE_ROWS],
            error=_error_message(r.exception_info),
        )


def _error_message(info: dict[str, Any] | None) -> str | None:
    # GX reports either one exception or one per failed metric, keyed by metric id.
    if not info:
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    messages = {str(v.get("exception_message")) for v in info.values() if isinstance(v, dict)}
    return "; ".join(sorted(messages))[:1000] or None


def _build_docs(context: Any, docs_dir: Path, keys: list[ValidationResultIdentifier]) -> Path:
    # Pages GX writes from now on get the offline rewrite (a margin for coarse file-system timestamps).
    started = time.time() - 2
    context.build_data_docs(resource_identifiers=keys)
    for left in make_offline(docs_dir, since=started):
        LOG.warning("GX Data Docs still load an asset from the network (quality/data_docs.py): %s", left)
    return docs_dir / "index.html"


# --- run-time expectations: freshness and row-count history -------------------------------------------


def scoped_parts(part: Part, after_load: str | None) -> list[Part]:
    """`part` as validated tonight: whole, or (after a load) its table-level expectations on the whole
    relation and its row-level ones on the rows of later loads, as a part named `<part>_new_loads`."""
    if after_load is None or part.new_rows_sql is None:
        return [part]
    table_level = [e for e in part.expectations if expectation_type(e) == "ExpectTableRowCountToBeBetween"]
    row_level = [e for e in part.expectations if expectation_type(e) != "ExpectTableRowCountToBeBetween"]
    parts = []
    if table_level or part.row_count is not None or part.freshness is not None:
        parts.append(dataclasses.replace(part, expectations=table_level, new_rows_sql=None))
    if row_level:
        sql = part.new_rows_sql.replace("{after}", sql_literal(after_load))
        parts.append(Part(name=f"{part.name}_new_loads", sql=sql, expectations=row_level, keys=part.keys))
    return parts


def _with_freshness_parts(suite: Suite, now: dt.datetime, after_load: str | None = None) -> Iterator[Part]:
    for part in (p for whole in suite.parts for p in scoped_parts(whole, after_load)):
        yield part
        if part.freshness is None:
            continue
        fresh = part.freshness
        reference = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00")
        # Age in days of the latest value, computed by DuckDB: the result is one row whatever the size.
        sql = (
            f"select max({fresh.column}) as latest_{fresh.column}, "
            f"(epoch(timestamptz '{reference}') - epoch(max({fresh.column})::timestamptz)) / 86400.0 as age_days "
            f"from ({part.sql})"
        )
        severity = FailureSeverity(fresh.severity.value)
        expectations = [
            gxe.ExpectColumnValuesToNotBeNull(column="age_days", severity=severity),
            gxe.ExpectColumnValuesToBeBetween(column="age_days", max_value=fresh.max_age_days, severity=severity),
        ]
        yield Part(name=f"{part.name}_freshness", sql=sql, expectations=expectations, keys=(f"latest_{fresh.column}",))


def _row_count_expectation(previous: int, part: Part) -> gxe.ExpectTableRowCountToBeBetween:
    bounds = part.row_count
    assert bounds is not None
    return gxe.ExpectTableRowCountToBeBetween(
        min_value=math.floor(previous * bounds.min_ratio),
        max_value=math.ceil(previous * bounds.max_ratio),
        severity=FailureSeverity(bounds.severity.value),
        meta={"previous_row_count": previous},
    )


def _history_file(history_dir: Path, suite_name: str, part_name: str) -> Path:
    return history_dir / f"{suite_name}.{part_name}.jsonl"


def _previous_row_count(history_dir: Path, suite_name: str, part_name: str) -> int | None:
    path = _history_file(history_dir, suite_name, part_name)
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return int(json.loads(lines[-1])["row_count"]) if lines else None


def _record_row_count(history_dir: Path, suite_name: str, part_name: str, row_count: int, now: dt.datetime) -> None:
    history_dir.mkdir(parents=True, exist_ok=True)
    entry = {"checked_at": now.isoformat(), "row_count": row_count}
    with open(_history_file(history_dir, suite_name, part_name), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))

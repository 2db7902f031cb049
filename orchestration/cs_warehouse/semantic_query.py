"""Query the semantic layer (MetricFlow) from Python against a DuckDB warehouse file.

`mf query` reads `target/semantic_manifest.json` of the directory it runs in, and the relations in that
manifest carry the DuckDB catalog name, which is the stem of the warehouse file the manifest was parsed for
(`warehouse/cs_warehouse.duckdb` -> `cs_warehouse`). This module takes the semantic manifest and the
warehouse file as arguments instead and attaches the file read-only under the catalog name the manifest
expects, so a copy or another build (RavenStack, a test build) answers the same queries:

    from cs_warehouse.semantic_query import query
    frame = query(manifest, warehouse, ["mrr", "logo_churn_rate"], ["metric_time__fiscal_year"])

MetricFlow generates the SQL (the same SQL `mf query --explain` prints); DuckDB runs it.

Some metrics are right at one time grain only (a month's stickiness is not a quarter's, and a quarter's
customer retention is not built from its months'). They say so in `config.meta.grains`; this module refuses
them at any other grain, or without a time grain, and names the metric that answers at the grain asked
(`config.meta.grain_alternatives`). `cs-warehouse query` (`make query`) runs a query on the
published serving copy with the dbt state it was built with, read-only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd


class _DuckDbDialect:
    """The part of MetricFlow's SqlClient protocol SQL generation needs (`explain` runs no query)."""

    @property
    def sql_engine_type(self):
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self):
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        return DuckDbSqlPlanRenderer()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"

    def query(self, *args, **kwargs):  # pragma: no cover - explain never executes
        raise NotImplementedError("cs_warehouse.semantic_query runs the SQL itself")

    execute = dry_run = query

    def close(self) -> None:
        return None


def manifest_catalogs(semantic_manifest: Path) -> set[str]:
    """The DuckDB catalogs the manifest's relations name (one for a manifest parsed by dbt-duckdb)."""
    body = json.loads(semantic_manifest.read_text(encoding="utf-8"))
    relations = [model["node_relation"] for model in body.get("semantic_models", [])]
    relations += [spine["node_relation"] for spine in body.get("project_configuration", {}).get("time_spines", [])]
    return {relation["database"] for relation in relations if relation.get("database")}


TIME_GRAINS = ("day", "week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year")


class GrainNotOffered(ValueError):
    """A metric was asked at a time grain it does not answer at."""


def metric_grains(body: dict) -> dict[str, dict]:
    """Metric name -> its `config.meta` for the metrics that list the grains they answer at."""
    limited = {}
    for metric in body.get("metrics", []):
        meta = (metric.get("config") or {}).get("meta") or {}
        if meta.get("grains"):
            limited[metric["name"]] = meta
    return limited


def requested_grains(group_by: Sequence[str]) -> list[str]:
    """The time grains a query groups by: `metric_time` (day), `metric_time__<grain>`, `<dim>__<grain>`."""
    grains = []
    for name in group_by:
        if name == "metric_time":
            grains.append("day")
            continue
        for grain in sorted(TIME_GRAINS, key=len, reverse=True):  # fiscal_quarter before quarter
            if name.endswith(f"__{grain}"):
                grains.append(grain)
                break
    return grains


def check_grains(limited: dict[str, dict], metrics: Sequence[str], group_by: Sequence[str]) -> None:
    """Raises GrainNotOffered, naming the metric, the grain asked and the metric to use instead."""
    asked = requested_grains(group_by)
    for metric in metrics:
        meta = limited.get(metric)
        if meta is None:
            continue
        offered = list(meta["grains"])
        wrong = [grain for grain in asked if grain not in offered] or ([] if asked else ["all time"])
        if not wrong:
            continue
        alternatives = meta.get("grain_alternatives") or {}
        hint = "; ".join(f"per {grain}: {alternatives[grain]}" for grain in wrong if grain in alternatives)
        raise GrainNotOffered(
            f"metric {metric} answers per {' / '.join(offered)} only (group by metric_time__{offered[0]}); "
            f"asked per {', '.join(wrong)}" + (f". Use {hint}" if hint else "")
        )


class SemanticLayer:
    """The metrics of one semantic manifest, queried on one warehouse file (read-only, opened per query)."""

    def __init__(self, semantic_manifest: Path, warehouse: Path) -> None:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        catalogs = manifest_catalogs(semantic_manifest)
        if len(catalogs) != 1:
            raise ValueError(f"{semantic_manifest}: expected relations in one DuckDB catalog, found {sorted(catalogs)}")
        (self.catalog,) = catalogs
        self.warehouse = warehouse
        text = semantic_manifest.read_text(encoding="utf-8")
        self.grain_limited = metric_grains(json.loads(text))
        manifest = parse_manifest_from_dbt_generated_manifest(text)
        self._engine = MetricFlowEngine(SemanticManifestLookup(manifest), _DuckDbDialect())

    def sql(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> str:
        """The SQL MetricFlow generates for the query (names as for `mf query`); GrainNotOffered when a
        metric is asked at a grain it does not answer at."""
        check_grains(self.grain_limited, metrics, group_by)
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by),
            where_constraints=list(where) or None,
            order_by_names=list(order_by) or None,
            limit=limit,
        )
        return self._engine.explain(request).sql_statement.sql

    def query(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Runs a metric query on the warehouse, attached read-only under the manifest's catalog name."""
        sql = self.sql(metrics, group_by, where, order_by, limit)
        con = duckdb.connect()
        try:
            con.execute(f"attach '{self.warehouse.as_posix()}' as \"{self.catalog}\" (read_only)")
            con.execute(f'use "{self.catalog}"')
            return con.sql(sql).df()
        finally:
            con.close()


def query(semantic_manifest: Path, warehouse: Path, metrics: Sequence[str], group_by: Sequence[str] = (), **options):
    """One query: `SemanticLayer(semantic_manifest, warehouse).query(metrics, group_by, ...)`."""
    return SemanticLayer(semantic_manifest, warehouse).query(metrics, group_by, **options)


def format_frame(frame: pd.DataFrame, decimals: int = 4) -> str:
    """A result as a plain table: days as dates, counts as integers, rates with `decimals`, no exponents."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            shown[column] = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = values.astype(float)
            pattern = "{:,.0f}" if numbers.dropna().apply(float.is_integer).all() else f"{{:,.{decimals}f}}"
            shown[column] = [("" if pd.isna(v) else pattern.format(v)) for v in numbers]
    return shown.to_string(index=False)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def run_query(
    metrics: str,
    group_by: str = "",
    where: tuple[str, ...] | list[str] = (),
    order: str = "",
    limit: int | None = None,
    decimals: int = 4,
    warehouse: Path | None = None,
    manifest: Path | None = None,
) -> int:
    """`cs-warehouse query` (make query): comma-separated names in, the result table on stdout. Exit code 1
    when the serving copy or its semantic manifest is missing, 2 when a grain is not offered."""
    from cs_warehouse.publish import PUBLISHED_STATE_DIR
    from cs_warehouse.settings import Settings

    settings = Settings.from_env()
    warehouse = warehouse or settings.serving_path
    manifest = manifest or settings.serving_path.parent / PUBLISHED_STATE_DIR / "semantic_manifest.json"
    for path, what in ((warehouse, "warehouse"), (manifest, "semantic manifest")):
        if not path.is_file():
            print(
                f"cs-warehouse query: no {what} at {path} (run `make run` first, or pass --{what.split()[-1]})",
                file=sys.stderr,
            )
            return 1
    groups = _names(group_by)
    try:
        frame = SemanticLayer(manifest, warehouse).query(
            _names(metrics), groups, where=list(where), order_by=_names(order) or groups, limit=limit
        )
    except GrainNotOffered as exc:
        print(f"cs-warehouse query: {exc}", file=sys.stderr)
        return 2
    print(format_frame(frame, decimals))
    return 0

"""Query the semantic layer (MetricFlow) from Python against a DuckDB warehouse file.

`mf query` reads `target/semantic_manifest.json` of the directory it runs in, and the relations in that
manifest carry the DuckDB catalog name, which is the stem of the warehouse file the manifest was parsed for
(`warehouse/cs_warehouse.duckdb` -> `cs_warehouse`). This module takes the semantic manifest and the
warehouse file as arguments instead and attaches the file read-only under the catalog name the manifest
expects, so a copy or another build (RavenStack, a test build) answers the same queries:

    from cs_warehouse.semantic_query import query
    frame = query(manifest, warehouse, ["mrr", "logo_churn_rate"], ["metric_time__fiscal_year"])

MetricFlow generates the SQL (the same SQL `mf query --explain` prints); DuckDB runs it.
"""

from __future__ import annotations

import json
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
        manifest = parse_manifest_from_dbt_generated_manifest(semantic_manifest.read_text(encoding="utf-8"))
        self._engine = MetricFlowEngine(SemanticManifestLookup(manifest), _DuckDbDialect())

    def sql(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> str:
        """The SQL MetricFlow generates for the query (names as for `mf query`)."""
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

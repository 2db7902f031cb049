"""The publish gate: BI reads a serving copy that only ever changes whole, and only after a good night."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cs_warehouse.publish import publish_serving_copy
from cs_warehouse.runs import partition_range_tags, pending_event_days
from cs_warehouse.tooling.fingerprint import differences, warehouse_fingerprints
from tests.conftest import REPORTING_DAY, current_definitions
from tests.landing_factory import write_minimal_landing


def make_warehouse(path: Path, version: int) -> None:
    """A warehouse whose two mart tables must always agree: both carry the same version number."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists raw")
        con.execute("create or replace table raw.secret as select 'not for BI' as value")
        con.execute(f"create or replace table marts.a as select {version} as version, range as n from range(20000)")
        con.execute(f"create or replace table marts.b as select {version} as version")
        con.execute("comment on column marts.b.version is 'which night built this'")


def read_versions(serving: Path) -> tuple[set[int], int]:
    with duckdb.connect(str(serving), read_only=True) as con:
        a = {r[0] for r in con.execute("select distinct version from marts.a").fetchall()}
        b = con.execute("select version from marts.b").fetchall()[0][0]
    return a, b


def test_serving_copy_holds_only_the_marts_with_their_docs(tmp_path: Path) -> None:
    make_warehouse(tmp_path / "wh.duckdb", 1)
    result = publish_serving_copy(tmp_path / "wh.duckdb", tmp_path / "serving" / "cs_marts.duckdb")
    assert result.tables == {"marts.a": 20000, "marts.b": 1}
    with duckdb.connect(str(result.serving_path), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        comment = con.execute(
            "select comment from duckdb_columns() where table_name = 'b' and column_name = 'version'"
        ).fetchall()
    assert schemas == {"main", "marts"}
    assert comment == [("which night built this",)]
    status = json.loads((tmp_path / "serving" / "publish_status.json").read_text())
    assert status["status"] == "published"


def test_a_reader_holding_the_copy_open_keeps_the_old_marts_and_never_blocks_the_publish(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "cs_marts.duckdb"
    make_warehouse(warehouse, 1)
    publish_serving_copy(warehouse, serving)
    with duckdb.connect(str(serving), read_only=True) as reader:
        make_warehouse(warehouse, 2)
        publish_serving_copy(warehouse, serving)  # must not wait for, or fail on, the open reader
        assert reader.execute("select version from marts.b").fetchall() == [(1,)]
    assert read_versions(serving) == ({2}, 2)


def test_readers_during_repeated_publishes_see_either_old_or_new_never_a_mix_or_an_error(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "cs_marts.duckdb"
    make_warehouse(warehouse, 0)
    publish_serving_copy(warehouse, serving)
    seen: list[tuple[set[int], int]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            try:
                seen.append(read_versions(serving))
            except BaseException as exc:  # any error a BI reader would get is a failure
                errors.append(exc)

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        for version in range(1, 6):
            make_warehouse(warehouse, version)
            publish_serving_copy(warehouse, serving)
    finally:
        done.set()
        reader.join(timeout=60)
    assert errors == []
    assert len(seen) > 5
    for a, b in seen:
        assert a == {b}, f"a reader saw a mix of nights: marts.a {a}, marts.b {b}"


@pytest.fixture
def nightly_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_minimal_landing(tmp_path / "landing")
    monkeypatch.setenv("CSW_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("CSW_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CSW_SERVING_PATH", str(tmp_path / "serving" / "cs_marts.duckdb"))
    monkeypatch.setenv("CSW_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("CSW_QUALITY_HISTORY_DIR", str(tmp_path / "quality_history"))
    monkeypatch.setenv("CSW_AS_OF_DATE", REPORTING_DAY)
    monkeypatch.setenv("CSW_GX_DOCS_DIR", str(tmp_path / "gx_docs"))
    return tmp_path


def run_nightly(env: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    defs = current_definitions()
    days = pending_event_days(env / "landing", env / "warehouse.duckdb")
    fallback = days[0] if days else pending_event_days(env / "landing", env / "missing.duckdb")[-1]
    job = defs.resolve_job_def("nightly_build")
    # Tagged as the schedule and `cs-warehouse nightly` tag a night: only new or changed files are loaded.
    tags = partition_range_tags(days, fallback, reload=False)
    return job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)


def assert_first_night(env: Path, result: dg.ExecuteInProcessResult) -> None:
    """The whole graph materialized, no critical check failed, and the marts hold hand-worked numbers."""
    defs = current_definitions()

    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e for e in failed if e.severity == dg.AssetCheckSeverity.ERROR] == []
    # The fixture is a few rows from 2024: the only warnings are staleness and marts it is too small for.
    warned = {(f["part"], f["expectation"]) for e in failed for f in e.metadata["failures"].data}
    assert warned <= {
        ("table_freshness", "expect_column_values_to_be_between"),
        ("table", "expect_table_row_count_to_be_between"),
    }
    with duckdb.connect(str(env / "serving" / "cs_marts.duckdb"), read_only=True) as serving:
        schemas = {r[0] for r in serving.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        assert schemas == {"main", "marts"}  # only the marts (and the publication record) reach BI
        # A001: annual 360,000 JPY from 2024-02 -> 30,000 MRR; A002: monthly 6,000 from March, paid through May.
        rows = serving.execute(
            "select account_id, month, mrr_end, movement from marts.mart_mrr_movements "
            "where month between '2024-02-01' and '2024-06-01' order by account_id, month"
        ).fetchall()
    assert [(a, m.isoformat(), float(v), mv) for a, m, v, mv in rows] == [
        ("A001", "2024-02-01", 30000.0, "new"),
        ("A001", "2024-03-01", 30000.0, "unchanged"),
        ("A001", "2024-04-01", 30000.0, "unchanged"),
        ("A001", "2024-05-01", 30000.0, "unchanged"),
        ("A001", "2024-06-01", 30000.0, "unchanged"),
        ("A002", "2024-03-01", 6000.0, "new"),
        ("A002", "2024-04-01", 6000.0, "unchanged"),
        ("A002", "2024-05-01", 6000.0, "unchanged"),
        ("A002", "2024-06-01", 0.0, "churn"),
    ]
    summary = json.loads((env / "reports" / "kpi_summary.json").read_text())
    assert summary["paying_accounts"] == 1
    assert (env / "reports" / "report.ja.html").exists()
    # The dbt artifacts of the build the serving copy holds: the production state `make pr-check` defers to.
    state = env / "serving" / "dbt_state"
    assert "model.cs_warehouse.mart_kpi_monthly" in json.loads((state / "manifest.json").read_text())["nodes"]
    built = {r["unique_id"]: r["status"] for r in json.loads((state / "run_results.json").read_text())["results"]}
    assert built["model.cs_warehouse.mart_kpi_monthly"] == "success"


def test_nightly_build_end_to_end_publishes_and_a_night_with_nothing_new_rebuilds_nothing(nightly_env: Path) -> None:
    """One in-process night over the whole graph, then the night after with nothing new. (Nights that must not
    publish, and the night that publishes again after them, are in test_publish_gates_nightly.py.)"""
    from cs_warehouse.defs.dbt import UNCHANGED, dbt_models

    assert [d.isoformat() for d in pending_event_days(nightly_env / "landing", nightly_env / "none.duckdb")] == [
        "2024-03-02"
    ]
    with dg.instance_for_test() as instance:
        first_night = run_nightly(nightly_env, instance)
        assert_first_night(nightly_env, first_night)
        first_checks = {(e.asset_key.to_user_string(), e.check_name) for e in first_night.get_asset_check_evaluations()}
        first_tables = warehouse_fingerprints(nightly_env / "warehouse.duckdb")

        # The night after, with nothing new: no model is rebuilt and dbt does not start, yet every check of the
        # first night has a result, the dbt tests saying they were not run (nothing they read changed).
        idle = run_nightly(nightly_env, instance)
        assert idle.success
        dbt_reported = [
            e.materialization.metadata["dbt"].value
            for e in idle.get_asset_materialization_events()
            if e.asset_key in dbt_models.keys
        ]
        assert len(dbt_reported) == len(dbt_models.keys) and set(dbt_reported) == {UNCHANGED}
        evaluations = idle.get_asset_check_evaluations()
        assert {(e.asset_key.to_user_string(), e.check_name) for e in evaluations} == first_checks
        not_run = [e for e in evaluations if "not run tonight" in str(e.metadata.get("dbt", ""))]
        assert not_run and all(e.passed for e in not_run)
        assert "marts/mart_mrr_movements" in {e.asset_key.to_user_string() for e in not_run}
        # and no table changed
        assert differences(first_tables, warehouse_fingerprints(nightly_env / "warehouse.duckdb")) == []

"""Each kind of expectation fails on a corrupted table and passes on a clean one, on both engines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import great_expectations.expectations as gxe
import pytest

from cs_warehouse.contract import load_contract
from cs_warehouse.quality import runner
from cs_warehouse.quality.runner import run_suite
from cs_warehouse.quality.spec import CRITICAL, WARNING, Freshness, Part, RowCountBounds, Suite, table
from cs_warehouse.quality.suites.marts import mart_mrr_movements
from cs_warehouse.quality.suites.raw import raw_suite
from tests.quality.conftest import MOVEMENTS, accounts_sql, movements_sql, write_warehouse

NOW = dt.datetime(2026, 3, 31, 15, tzinfo=dt.UTC)
CLEAN = [("A1", "smb", "2026-03-01 00:00:00+00"), ("A2", "enterprise", "2026-03-30 00:00:00+00")]
# engine choice by row count: everything in pandas, or everything pushed down to DuckDB
ENGINES = {"pandas": 10**9, "sql": 0}


def accounts_suite(*expectations, row_count=None, freshness=None) -> Suite:
    part = Part(
        name="table",
        sql=table("raw", "accounts"),
        keys=("id",),
        expectations=list(expectations),
        row_count=row_count,
        freshness=freshness,
    )
    return Suite(name="raw.accounts", asset_key=("raw", "accounts"), parts=[part])


KINDS = {
    "key_unique": (
        lambda: gxe.ExpectColumnValuesToBeUnique(column="id", severity=CRITICAL),
        [*CLEAN, ("A1", "smb", "2026-03-03 00:00:00+00")],
    ),
    "not_null": (
        lambda: gxe.ExpectColumnValuesToNotBeNull(column="id", severity=CRITICAL),
        [*CLEAN, (None, "smb", "2026-03-03 00:00:00+00")],
    ),
    "allowed_values": (
        lambda: gxe.ExpectColumnValuesToBeInSet(column="segment_c", value_set=["smb", "enterprise"], severity=CRITICAL),
        [*CLEAN, ("A3", "galactic", "2026-03-03 00:00:00+00")],
    ),
    "range": (
        lambda: gxe.ExpectColumnValuesToBeBetween(
            column="created_date", min_value=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), severity=CRITICAL
        ),
        [*CLEAN, ("A3", "smb", "1999-03-03 00:00:00+00")],
    ),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", KINDS)
def test_expectation_kinds(tmp_path: Path, kind: str, engine: str) -> None:
    make, corrupted = KINDS[kind]
    clean_db = write_warehouse(tmp_path / "clean.duckdb", accounts_sql(CLEAN))
    bad_db = write_warehouse(tmp_path / "bad.duckdb", accounts_sql(corrupted))

    clean = run_suite(accounts_suite(make()), clean_db, now=NOW, pandas_max_rows=ENGINES[engine])
    bad = run_suite(accounts_suite(make()), bad_db, now=NOW, pandas_max_rows=ENGINES[engine])

    assert clean.engines == {"table": engine} == bad.engines
    assert not clean.failures(critical=True)
    [failure] = bad.failures(critical=True)
    assert failure.unexpected_count >= 1 and failure.error is None
    # the failing row is identified by its key in the sample
    assert failure.sample and all("id" in row for row in failure.sample)


@pytest.mark.parametrize("engine", ENGINES)
def test_raw_suite_finds_a_key_loaded_twice(tmp_path: Path, engine: str) -> None:
    """The raw suites check key uniqueness with a part of their own (one aggregate over the key)."""
    [part] = [p for p in raw_suite(load_contract().entities["accounts"]).parts if p.name == "duplicate_keys"]
    suite = Suite(name="raw.accounts", asset_key=("raw", "accounts"), parts=[part])
    clean_db = write_warehouse(tmp_path / "clean.duckdb", accounts_sql(CLEAN))
    bad_db = write_warehouse(tmp_path / "bad.duckdb", accounts_sql([*CLEAN, ("A2", "smb", "2026-03-03 00:00:00+00")]))

    assert not run_suite(suite, clean_db, now=NOW, pandas_max_rows=ENGINES[engine]).failures(critical=True)
    [failure] = run_suite(suite, bad_db, now=NOW, pandas_max_rows=ENGINES[engine]).failures(critical=True)
    assert failure.part == "duplicate_keys" and failure.unexpected_count == 1
    assert [row["id"] for row in failure.sample] == ["A2"]


@pytest.mark.parametrize("engine", ENGINES)
def test_row_count_compared_with_previous_run(tmp_path: Path, engine: str) -> None:
    history = tmp_path / "history"
    db = write_warehouse(tmp_path / "wh.duckdb", accounts_sql(CLEAN * 5))
    suite = accounts_suite(row_count=RowCountBounds(min_ratio=0.9, max_ratio=1.5))
    first = run_suite(suite, db, history_dir=history, now=NOW, pandas_max_rows=ENGINES[engine])
    assert first.outcomes == []  # nothing to compare with yet

    write_warehouse(db, accounts_sql(CLEAN * 5))
    steady = run_suite(suite, db, history_dir=history, now=NOW, pandas_max_rows=ENGINES[engine])
    assert [o.success for o in steady.outcomes] == [True]

    write_warehouse(db, accounts_sql(CLEAN))  # 10 rows -> 2 rows
    [dropped] = run_suite(suite, db, history_dir=history, now=NOW, pandas_max_rows=ENGINES[engine]).failures(
        critical=False
    )
    assert dropped.expectation == "expect_table_row_count_to_be_between"
    assert dropped.observed_value == 2 and dropped.severity == WARNING.value


@pytest.mark.parametrize("engine", ENGINES)
def test_freshness_of_latest_value(tmp_path: Path, engine: str) -> None:
    db = write_warehouse(tmp_path / "wh.duckdb", accounts_sql(CLEAN))
    suite = accounts_suite(freshness=Freshness("created_date", max_age_days=2))
    fresh = run_suite(suite, db, now=NOW, pandas_max_rows=ENGINES[engine])
    stale = run_suite(suite, db, now=NOW + dt.timedelta(days=5), pandas_max_rows=ENGINES[engine])
    assert not fresh.failures(critical=False)
    [failure] = stale.failures(critical=False)
    assert failure.part == "table_freshness" and failure.column == "age_days"
    assert str(failure.sample[0]["latest_created_date"]).startswith("2026-03-30")


@pytest.mark.parametrize("engine", ENGINES)
def test_mrr_bridge_and_movement_rules(tmp_path: Path, engine: str) -> None:
    clean_db = write_warehouse(tmp_path / "clean.duckdb", movements_sql(MOVEMENTS))
    # A2 contracts in March but is labelled unchanged: the rule and the March bridge both break
    broken = [(*row[:4], "unchanged") if row[:2] == ("A2", "2026-03-01") else row for row in MOVEMENTS]
    bad_db = write_warehouse(tmp_path / "bad.duckdb", movements_sql(broken))

    clean = run_suite(mart_mrr_movements(), clean_db, now=NOW, pandas_max_rows=ENGINES[engine])
    bad = run_suite(mart_mrr_movements(), bad_db, now=NOW, pandas_max_rows=ENGINES[engine])

    assert clean.failures(critical=True) == [], clean.failures(critical=True)
    failed = {f.part: f for f in bad.failures(critical=True)}
    assert set(failed) == {"movement_rules", "bridge"}
    assert failed["movement_rules"].unexpected_count == 1
    assert failed["movement_rules"].sample == [
        {"account_id": "A2", "month": failed["movement_rules"].sample[0]["month"], "movement_follows_amounts": False}
    ]
    assert failed["bridge"].unexpected_count == 1
    assert str(failed["bridge"].sample[0]["month"]).startswith("2026-03-01")


def test_large_relation_is_never_read_into_pandas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the threshold GX computes in DuckDB; only small aggregates (bridge, freshness) reach pandas."""
    db = write_warehouse(tmp_path / "wh.duckdb", movements_sql(MOVEMENTS))
    threshold = 3  # the table (8 rows) is "large"; the bridge (3 months) and freshness (1 row) are not
    read = runner.read_frame
    frames: list[int] = []

    def read_small_only(path: Path, sql: str):
        frame = read(path, sql)
        assert len(frame) <= threshold, f"materialised {len(frame)} rows in pandas: {sql}"
        frames.append(len(frame))
        return frame

    monkeypatch.setattr(runner, "read_frame", read_small_only)
    outcome = run_suite(mart_mrr_movements(), db, now=NOW, pandas_max_rows=threshold)
    assert outcome.engines == {
        "table": "sql", "table_freshness": "pandas", "movement_rules": "sql", "bridge": "pandas", "continuity": "sql",
    }  # fmt: skip
    assert sorted(frames) == [1, 3]
    assert outcome.outcomes and all(o.error is None for o in outcome.outcomes)
    assert not outcome.failures(critical=True)


def test_data_docs_are_built(tmp_path: Path) -> None:
    db = write_warehouse(tmp_path / "wh.duckdb", movements_sql(MOVEMENTS))
    outcome = run_suite(mart_mrr_movements(), db, docs_dir=tmp_path / "docs", now=NOW)
    assert outcome.docs_index == tmp_path / "docs" / "index.html"
    index = outcome.docs_index.read_text(encoding="utf-8")
    assert "marts.mart_mrr_movements.bridge" in index


def test_missing_relation_is_a_critical_failure(tmp_path: Path) -> None:
    db = write_warehouse(tmp_path / "wh.duckdb", [])
    [failure] = run_suite(mart_mrr_movements(), db, now=NOW).failures(critical=True)[:1]
    assert failure.expectation == "relation_exists" and "mart_mrr_movements" in failure.error


def test_a_suite_runs_twice_in_one_process(tmp_path: Path) -> None:
    """A long-lived process (dagster dev, consecutive in-process runs) validates the same suite again."""
    from cs_warehouse.ingestion.load import load_landing
    from cs_warehouse.quality.suites import all_suites
    from tests.landing_factory import write_minimal_landing

    load_landing(tmp_path / "wh.duckdb", write_minimal_landing(tmp_path / "landing"))
    suite = all_suites()[("raw", "accounts")]
    first = run_suite(suite, tmp_path / "wh.duckdb")
    second = run_suite(suite, tmp_path / "wh.duckdb")
    assert [o.success for o in first.outcomes] == [o.success for o in second.outcomes]

"""A mart without a handwritten suite is validated by the rules its yml declares (from the dbt manifest)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cs_warehouse.quality.runner import run_suite
from cs_warehouse.quality.suites.marts import generic_model_suite

MODEL_ID = "model.cs_warehouse.mart_alerts"


def manifest() -> dict:
    """The shape `dbt parse` writes: the model with its contract constraints, and its attached tests."""

    def test(name: str, column: str | None = None, where: str | None = None, **kwargs) -> dict:
        return {
            "resource_type": "test",
            "attached_node": MODEL_ID,
            "column_name": column,
            "config": {"where": where},
            "test_metadata": {"name": name, "kwargs": kwargs},
        }

    model = {
        "resource_type": "model",
        "name": "mart_alerts",
        "unique_id": MODEL_ID,
        "columns": {
            "alert_id": {"constraints": [{"type": "not_null"}]},
            "account_id": {"constraints": []},
            "status": {"constraints": []},
            "hit_rate": {"constraints": []},
        },
    }
    return {
        "nodes": {
            MODEL_ID: model,
            "t1": test("unique", column="alert_id"),
            "t2": test("unique_combination", where="status = 'open'", columns=["account_id", "status"]),
            "t3": test("accepted_values", column="status", values=["open", "closed"]),
            "t4": test("not_null", column="account_id"),
            "other": {"resource_type": "test", "attached_node": "model.cs_warehouse.other", "test_metadata": {}},
        }
    }


def write(path: Path, rows: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_alerts (alert_id varchar, account_id varchar, status varchar, hit_rate double)"
        )
        con.executemany("insert into marts.mart_alerts values (?, ?, ?, ?)", rows)
    return path


CLEAN = [("x1", "A1", "open", 0.5), ("x2", "A1", "closed", 0.1), ("x3", "A1", "closed", 1.0)]


def failed(path: Path) -> set[tuple[str, str, str | None, str]]:
    outcome = run_suite(generic_model_suite("marts", "mart_alerts", manifest=manifest()), path)
    return {(f.part, f.expectation, f.column, f.severity) for f in outcome.failures(critical=True)} | {
        (f.part, f.expectation, f.column, f.severity) for f in outcome.failures(critical=False)
    }


def test_declared_rules_pass_on_clean_rows_and_a_filtered_key_counts_only_its_rows(tmp_path: Path) -> None:
    # Two closed alerts of one account are fine: the key is declared for open alerts only.
    assert failed(write(tmp_path / "wh.duckdb", CLEAN)) == set()


def test_each_declared_rule_fails_on_the_row_that_breaks_it(tmp_path: Path) -> None:
    cases = {
        "dup_id": ([*CLEAN, ("x1", "A2", "closed", 0.0)], ("table", "expect_column_values_to_be_unique", "alert_id")),
        "open_twice": (
            [*CLEAN, ("x4", "A1", "open", 0.0)],
            ("where_1", "expect_compound_columns_to_be_unique", None),
        ),
        "bad_status": (
            [*CLEAN, ("x4", "A2", "snoozed", 0.0)],
            ("table", "expect_column_values_to_be_in_set", "status"),
        ),
        "null_id": (
            [*CLEAN, (None, "A2", "closed", 0.0)],
            ("table", "expect_column_values_to_not_be_null", "alert_id"),
        ),
        "null_account": (
            [*CLEAN, ("x4", None, "closed", 0.0)],
            ("table", "expect_column_values_to_not_be_null", "account_id"),
        ),
        "rate_above_one": (
            [*CLEAN, ("x4", "A2", "closed", 1.5)],
            ("table", "expect_column_values_to_be_between", "hit_rate"),
        ),
    }
    for name, (rows, (part, expectation, column)) in cases.items():
        got = failed(write(tmp_path / f"{name}.duckdb", rows))
        assert {(p, e, c) for p, e, c, _ in got} == {(part, expectation, column)}, name
        [(_, _, _, severity)] = got
        assert severity == ("warning" if name == "rate_above_one" else "critical"), name

"""A mart without a handwritten suite gets row-count drift and fraction ranges; its yml's keys, not-nulls and
accepted values are dbt's alone (one checker per rule)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cs_warehouse.defs.quality import dbt_manifest
from cs_warehouse.quality.runner import run_suite
from cs_warehouse.quality.spec import expectation_type
from cs_warehouse.quality.suites import all_suites
from cs_warehouse.quality.suites.marts import generic_model_suite, model_columns

MODEL_ID = "model.cs_warehouse.mart_alerts"
MANIFEST = {
    "nodes": {
        MODEL_ID: {
            "resource_type": "model",
            "name": "mart_alerts",
            "unique_id": MODEL_ID,
            "columns": {"alert_id": {}, "status": {}, "hit_rate": {}, "login_rate": {}},
        },
        "t1": {"resource_type": "test", "attached_node": MODEL_ID, "test_metadata": {"name": "unique"}},
    }
}


def write(path: Path, rows: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_alerts (alert_id varchar, status varchar, hit_rate double, login_rate double)"
        )
        if rows:
            con.executemany("insert into marts.mart_alerts values (?, ?, ?, ?)", rows)
    return path


def failed(path: Path) -> set[tuple[str, str | None, str]]:
    suite = generic_model_suite("marts", "mart_alerts", columns=model_columns(MANIFEST, "mart_alerts"))
    outcome = run_suite(suite, path)
    return {(f.expectation, f.column, f.severity) for f in outcome.outcomes if not f.success}


def test_duplicate_keys_nulls_and_unknown_values_are_left_to_dbt(tmp_path: Path) -> None:
    # A duplicate id, a null id and a status outside any accepted list: dbt's tests fail, not this suite.
    rows = [("x1", "open", 0.5, 3.0), ("x1", "snoozed", 0.1, 0.0), (None, None, 1.0, 0.2)]
    assert failed(write(tmp_path / "wh.duckdb", rows)) == set()


def test_a_fraction_outside_zero_to_one_and_an_empty_table_are_warnings(tmp_path: Path) -> None:
    rows = [("x1", "open", 1.5, 3.0)]  # login_rate above one is allowed: more active users than seats
    assert failed(write(tmp_path / "rate.duckdb", rows)) == {
        ("expect_column_values_to_be_between", "hit_rate", "warning")
    }
    assert failed(write(tmp_path / "empty.duckdb", [])) == {("expect_table_row_count_to_be_between", None, "warning")}


def dbt_rules(manifest: dict, model: str) -> set[tuple[str, str]]:
    """(GX expectation, column) for each not-null, unique and accepted-values rule dbt checks on `model`."""
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model)
    rules = {
        ("ExpectColumnValuesToNotBeNull", column)
        for column, spec in node["columns"].items()
        if any(c.get("type") == "not_null" for c in spec.get("constraints", []))
    }
    as_gx = {"not_null": "ExpectColumnValuesToNotBeNull", "unique": "ExpectColumnValuesToBeUnique",
             "accepted_values": "ExpectColumnValuesToBeInSet"}  # fmt: skip
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test" or test.get("attached_node") != node["unique_id"]:
            continue
        meta = test.get("test_metadata") or {}
        if meta.get("name") in as_gx:
            rules.add((as_gx[meta["name"]], test["column_name"]))
        elif meta.get("name") == "unique_combination":
            rules.add(("ExpectCompoundColumnsToBeUnique", ",".join(meta["kwargs"]["columns"])))
    return rules


def suite_rules(part) -> set[tuple[str, str]]:
    found = set()
    for e in part.expectations:
        kind = expectation_type(e)
        column = ",".join(e.kwargs["column_list"]) if "column_list" in e.kwargs else e.kwargs.get("column")
        found.add((kind, column))
    return found


def test_no_mart_suite_repeats_a_rule_of_the_marts_dbt_tests_or_constraints() -> None:
    manifest = dbt_manifest()
    for key, suite in all_suites().items():
        if key[0] != "marts":
            continue
        declared = dbt_rules(manifest, key[1])
        assert declared, key  # the handwritten marts all declare keys in their yml
        for part in suite.parts:
            assert not suite_rules(part) & declared, (suite.name, part.name, suite_rules(part) & declared)

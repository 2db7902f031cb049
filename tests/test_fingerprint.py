"""Table fingerprints: equal for the same rows in any order, different for any changed value."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cs_warehouse.cli import main
from cs_warehouse.tooling.fingerprint import differences, warehouse_fingerprints


def build(path: Path, rows: list[tuple], load_id: str = "load-1", audit_rows: int = 1) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts; create schema other")
        con.execute("create table raw.t (id varchar, amount double, _load_id varchar)")
        con.executemany("insert into raw.t values (?, ?, ?)", [(*r, load_id) for r in rows])
        con.execute(f"create table raw._load_audit as select range as n from range({audit_rows})")
        con.execute("create table marts.m as select 1 as one")
        con.execute("create table other.ignored as select 1 as one")
    return path


def test_row_order_and_load_ids_do_not_matter(tmp_path: Path) -> None:
    a = warehouse_fingerprints(build(tmp_path / "a.duckdb", [("x", 1.0), ("y", 2.0)]))
    b = warehouse_fingerprints(build(tmp_path / "b.duckdb", [("y", 2.0), ("x", 1.0)], load_id="load-2", audit_rows=5))
    assert a.keys() == {"raw.t", "marts.m"}  # underscore tables and other schemas are not data
    assert a["raw.t"][0] == 2
    assert differences(a, b) == []


def test_a_changed_value_a_missing_row_or_table_is_reported(tmp_path: Path) -> None:
    a = warehouse_fingerprints(build(tmp_path / "a.duckdb", [("x", 1.0), ("y", 2.0)]))
    changed = warehouse_fingerprints(build(tmp_path / "b.duckdb", [("x", 1.0), ("y", 2.0000000001)]))
    fewer = warehouse_fingerprints(build(tmp_path / "c.duckdb", [("x", 1.0)]))
    assert differences(a, changed) == ["raw.t: 2 rows vs 2 rows, contents differ"]
    assert differences(a, fewer) == ["raw.t: 2 rows vs 1 rows, contents differ"]
    assert differences(a, {"raw.t": a["raw.t"]}) == ["marts.m: only in the first"]


def test_command_line_compares_with_a_saved_fingerprint(tmp_path: Path, capsys) -> None:
    path = build(tmp_path / "a.duckdb", [("x", 1.0)])
    assert main(["fingerprint", str(path)]) == 0
    saved = tmp_path / "before.json"
    saved.write_text(capsys.readouterr().out)
    assert main(["fingerprint", str(path), "--compare", str(saved)]) == 0
    with duckdb.connect(str(path)) as con:
        con.execute("update raw.t set amount = 3")
    assert main(["fingerprint", str(path), "--compare", str(saved)]) == 1
    assert "raw.t: 1 rows vs 1 rows, contents differ" in capsys.readouterr().out

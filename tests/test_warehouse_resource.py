"""The `warehouse` resource's DuckDB connections (cs_warehouse/warehouse.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cs_warehouse.warehouse import connect_warehouse


def test_connections_are_closed_when_their_block_ends_and_read_only_ones_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSW_DUCKDB_MEMORY_LIMIT", "1GiB")
    path = tmp_path / "new_folder" / "wh.duckdb"
    with connect_warehouse(path) as con:  # read-write creates the folder and the file
        con.execute("create table t as select 1 as x")
    with pytest.raises(duckdb.ConnectionException):
        con.execute("select 1")
    with connect_warehouse(path, read_only=True) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "1.0 GiB"
        with pytest.raises(duckdb.InvalidInputException):
            con.execute("insert into t values (2)")
    # Closed: a writer can open the file again in this process.
    with connect_warehouse(path) as con:
        con.execute("insert into t values (2)")
        assert con.execute("select count(*) from t").fetchone()[0] == 2


def test_the_sensors_and_every_asset_and_check_take_the_warehouse_resource() -> None:
    from cs_warehouse.definitions import defs

    graph = defs.resolve_asset_graph()
    for assets_def in graph.assets_defs:
        if assets_def.is_executable:
            assert "warehouse" in assets_def.required_resource_keys, assets_def.node_def.name
    for checks_def in defs.asset_checks or []:
        assert "warehouse" in checks_def.required_resource_keys, checks_def.node_def.name
    for sensor in defs.sensors or []:
        assert "warehouse" in sensor.required_resource_keys, sensor.name

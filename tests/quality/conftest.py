"""Tiny DuckDB warehouses, clean or with one planted defect, for the quality suites."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.settings import Settings

# mart_mrr_movements rows (account, month, start, end, movement) whose bridge holds every month.
MOVEMENTS = [
    ("A1", "2026-01-01", 0, 100, "new"),
    ("A1", "2026-02-01", 100, 150, "expansion"),
    ("A1", "2026-03-01", 150, 0, "churn"),
    ("A2", "2026-02-01", 0, 200, "new"),
    ("A2", "2026-03-01", 200, 120, "contraction"),
    ("A3", "2026-01-01", 0, 50, "new"),
    ("A3", "2026-02-01", 50, 50, "unchanged"),
    ("A3", "2026-03-01", 50, 50, "unchanged"),
]


@pytest.fixture(autouse=True)
def _quiet_gx() -> None:
    warnings.filterwarnings("ignore", module="great_expectations")


def write_warehouse(path: Path, statements: list[str]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw; create schema if not exists marts")
        for statement in statements:
            con.execute(statement)
    return path


def accounts_sql(rows: list[tuple[str | None, str, str]]) -> list[str]:
    values = ", ".join(
        f"({'null' if i is None else repr(i)}, {seg!r}, timestamptz {created!r})" for i, seg, created in rows
    )
    return [
        "create or replace table raw.accounts (id varchar, segment_c varchar, created_date timestamptz)",
        f"insert into raw.accounts values {values}",
    ]


def movements_sql(rows: list[tuple[str, str, float, float, str | None]]) -> list[str]:
    values = ", ".join(
        f"({a!r}, date {m!r}, 2025, 4, true, {s}, {e}, {e - s}, {'null' if mv is None else repr(mv)})"
        for a, m, s, e, mv in rows
    )
    return [
        "create or replace table marts.mart_mrr_movements (account_id varchar, month date, fiscal_year integer, "
        "fiscal_quarter integer, is_complete boolean, mrr_start decimal(18, 2), mrr_end decimal(18, 2), "
        "mrr_change decimal(18, 2), movement varchar)",
        f"insert into marts.mart_mrr_movements values {values}",
    ]


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[[Path], Settings]:
    def make(warehouse: Path) -> Settings:
        return dataclasses.replace(
            Settings.from_env(),
            warehouse_path=warehouse,
            gx_docs_dir=tmp_path / "gx_docs",
            quality_history_dir=tmp_path / "history",
            quality_as_of_date="2026-03-31",
        )

    return make

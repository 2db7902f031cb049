"""The KPI impact diff of `make pr-check` on two hand-written warehouses (no dbt build)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cs_warehouse.pr_check import Report, render, table_diffs

KPI_COLUMNS = (
    "month date, fiscal_year integer, fiscal_quarter integer, is_complete boolean, mrr double, logo_churn_rate double"
)


def _warehouse(path: Path, kpi_rows: list[str], extra_column: bool = False, movements: int = 2) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        columns = KPI_COLUMNS + (", new_kpi double" if extra_column else "")
        con.execute(f"create table marts.mart_kpi_monthly ({columns})")
        for row in kpi_rows:
            con.execute(f"insert into marts.mart_kpi_monthly values ({row})")
        con.execute("create table marts.mart_mrr_movements (account_id varchar)")
        con.execute(f"insert into marts.mart_mrr_movements select 'a' || i from range({movements}) t(i)")
    return path


def test_only_the_changed_kpi_cells_are_listed(tmp_path: Path) -> None:
    before = _warehouse(
        tmp_path / "prod.duckdb",
        [
            "'2026-04-01', 2026, 1, true, 1000.0, 0.02",
            "'2026-05-01', 2026, 1, true, 1100.0, 0.0",
            "'2026-06-01', 2026, 1, true, 1200.0, null",
        ],
    )
    after = _warehouse(
        tmp_path / "pr.duckdb",
        [
            "'2026-04-01', 2026, 1, true, 1000.0, 0.04",  # churn doubled
            "'2026-05-01', 2026, 1, true, 1100.0, 0.0",  # unchanged
            "'2026-06-01', 2026, 1, true, 1250.0, null",  # MRR moved
            "'2026-07-01', 2026, 2, false, 1300.0, null",  # a month added
        ],
        movements=3,
    )

    keys = {"mart_kpi_monthly": ["month"], "mart_mrr_movements": ["account_id"]}
    lines = table_diffs(before, after, ["mart_kpi_monthly", "mart_mrr_movements", "int_something"], keys)

    rows = [line for line in lines if line.startswith("| 2026")]
    assert rows == [
        "| 2026-04-01 | `logo_churn_rate` | 0.02 | 0.04 |",
        "| 2026-06-01 | `mrr` | 1200 | 1250 |",
        "| 2026-07-01 | `mrr` | ∅ | 1300 |",
    ]
    assert "- `mart_kpi_monthly`: 3 -> 4 rows" in lines
    assert "- `mart_mrr_movements`: 2 -> 3 rows" in lines
    assert "  - keys `account_id`: 1 added (`a2`), none removed" in lines
    assert "  - keys `month`: 1 added (`2026-07-01`), none removed" in lines
    assert not any("contract" in line.lower() for line in lines)


def test_a_changed_public_column_is_called_out_at_the_top(tmp_path: Path) -> None:
    row = "'2026-04-01', 2026, 1, true, 1000.0, 0.02"
    before = _warehouse(tmp_path / "prod.duckdb", [row])
    after = _warehouse(tmp_path / "pr.duckdb", [row + ", 0.5"], extra_column=True)

    report = Report(changed_files=["models/marts/mart_kpi_monthly.sql"], build_ok=True, built=["mart_kpi_monthly"])
    report.tables = table_diffs(before, after, report.built)
    text = render(report, "origin/main")

    first_lines = text.splitlines()[:3]
    assert any("Public table columns changed" in line and "new_kpi" in line for line in first_lines), first_lines
    assert "| 2026-04-01 | `new_kpi` | ∅ | 0.5 |" in text
    assert "logo_churn_rate" not in text

"""The KPI impact diff of `make pr-check` on two hand-written warehouses (no dbt build)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from cs_warehouse.tooling.pr_check import Report, affected_metrics, metric_cell_changes, render, table_diffs

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


def _semantic_manifest(path: Path, churn_filter: str | None, usage_expr: str) -> Path:
    """Two semantic models (account months from sem_account_months, usage from mart_usage_daily) and three
    metrics; `metadata` holds the file position, which moves when other lines of the yml change."""
    measure = {"name": "{0}", "filter": None, "alias": None, "join_to_timespine": False, "fill_nulls_with": None}

    def metric(name: str, measures: list[str], line: int, where: str | None = None) -> dict:
        inputs = [json.loads(json.dumps(measure).replace("{0}", m)) for m in measures]
        return {
            "name": name,
            "type": "ratio" if len(measures) > 1 else "simple",
            "filter": where,
            "type_params": {"input_measures": inputs},
            "metadata": {"file_slice": {"start_line_number": line}},
        }

    body = {
        "semantic_models": [
            {
                "name": "account_month",
                "node_relation": {"alias": "sem_account_months"},
                "measures": [{"name": "churned_accounts"}, {"name": "accounts_at_start"}],
                "metadata": None,
            },
            {
                "name": "usage_day",
                "node_relation": {"alias": "mart_usage_daily"},
                "measures": [{"name": "sessions", "expr": usage_expr}],
                "metadata": None,
            },
        ],
        "metrics": [
            metric("logo_churn_rate", ["churned_accounts", "accounts_at_start"], 10, churn_filter),
            metric("accounts_at_start", ["accounts_at_start"], 20 if churn_filter else 30),
            metric("sessions", ["sessions"], 40),
        ],
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_affected_metrics_follow_definitions_semantic_models_and_rebuilt_models(tmp_path: Path) -> None:
    prod = _semantic_manifest(tmp_path / "prod.json", None, "session_count")
    # only the file position of accounts_at_start moved: not a change
    assert affected_metrics(prod, _semantic_manifest(tmp_path / "a.json", None, "session_count"), []) == []
    assert affected_metrics(prod, prod, ["sem_account_months"]) == ["accounts_at_start", "logo_churn_rate"]
    changed = _semantic_manifest(tmp_path / "b.json", "{{ Dimension('plan') }} = 'x'", "session_count")
    assert affected_metrics(prod, changed, []) == ["logo_churn_rate"]
    measure_changed = _semantic_manifest(tmp_path / "c.json", None, "session_count * 2")
    assert affected_metrics(prod, measure_changed, ["int_unrelated"]) == ["sessions"]


def test_metric_cells_list_only_the_months_that_moved() -> None:
    months = pd.to_datetime(["2026-04-01", "2026-05-01", "2026-06-01"])
    before = pd.DataFrame({"metric_time__month": months, "sessions": [10.0, float("nan"), 30.0]})
    after = pd.DataFrame(
        {"metric_time__month": [*months, pd.Timestamp("2026-07-01")], "sessions": [10.0, float("nan"), 31.0, 5.0]}
    )
    assert metric_cell_changes(before, after, "sessions") == [("2026-06-01", "30", "31"), ("2026-07-01", "∅", "5")]
    assert metric_cell_changes(None, after.iloc[:1], "sessions") == [("2026-04-01", "∅", "10")]

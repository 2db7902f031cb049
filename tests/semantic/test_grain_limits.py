"""Metrics that are right at one grain only are answered there and refused elsewhere, on the revenue build
(30 months: complete fiscal quarters and a complete fiscal year with customers at its start).

Customer retention of a fiscal quarter or year is worked out here from mart_mrr_movements with pandas: the
accounts paying at the start of the period's first month, and of those the ones paying at the end of its last
month (an account lost and won back inside the period is retained). The project counts a free plan as churn
(var free_plan_is_churn), so "paying" is MRR > 0.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from cs_warehouse.cli import main as cli_main
from cs_warehouse.semantic_query import GrainNotOffered, SemanticLayer, check_grains, format_frame, requested_grains
from tests.conftest import Build
from tests.semantic.test_grains import period_start


@pytest.fixture(scope="module")
def layer(revenue_build: Build) -> SemanticLayer:
    return SemanticLayer(revenue_build.target / "semantic_manifest.json", revenue_build.warehouse)


@pytest.fixture(scope="module")
def marts(revenue_build: Build) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect(str(revenue_build.warehouse), read_only=True) as con:
        months = con.sql("select month, fiscal_year, fiscal_quarter, is_complete, customer_retention_rate "
                         "from marts.mart_kpi_monthly order by month").df()  # fmt: skip
        movements = con.sql("select account_id, month, mrr_start, mrr_end from marts.mart_mrr_movements").df()
    months["month"] = pd.to_datetime(months["month"])
    movements["month"] = pd.to_datetime(movements["month"])
    return months, movements


def retention_by_hand(months: pd.DataFrame, movements: pd.DataFrame, grain: str, size: int) -> dict:
    """Period start -> (retained, at start) for the complete periods of `size` months."""
    periods = months.assign(period=months.apply(period_start, axis=1, grain=grain))
    out = {}
    for period, group in periods.groupby("period"):
        if len(group) < size or not group["is_complete"].all():
            continue
        first, last = group["month"].min(), group["month"].max()
        at_start = set(movements[(movements["month"] == first) & (movements["mrr_start"] > 0)]["account_id"])
        at_end = set(movements[(movements["month"] == last) & (movements["mrr_end"] > 0)]["account_id"])
        if at_start:  # no customers at the start: no rate
            out[period] = (len(at_start & at_end), len(at_start))
    return out


@pytest.mark.parametrize(("grain", "size"), [("fiscal_quarter", 3), ("fiscal_year", 12)])
def test_fiscal_period_retention_is_the_period_s_own(layer: SemanticLayer, marts, grain: str, size: int) -> None:
    months, movements = marts
    wanted = retention_by_hand(months, movements, grain, size)
    assert wanted, f"the standard dataset has a complete {grain}"
    dimension = f"metric_time__{grain}"
    actual = layer.query([f"customer_retention_rate_{grain}"], [dimension], order_by=[dimension])
    actual = actual.dropna().set_index(pd.to_datetime(actual.dropna()[dimension]))
    assert sorted(actual.index) == sorted(wanted), f"{grain}: the complete periods and only those"
    for period, (retained, at_start) in wanted.items():
        assert actual.at[period, f"customer_retention_rate_{grain}"] == pytest.approx(retained / at_start), period


def test_monthly_retention_equals_the_monthly_mart(layer: SemanticLayer, marts) -> None:
    months, _ = marts
    actual = layer.query(["customer_retention_rate"], ["metric_time__month"], order_by=["metric_time__month"])
    actual.index = pd.to_datetime(actual["metric_time__month"])
    complete = months[months["is_complete"] & months["customer_retention_rate"].notna()]
    assert len(complete) > 12
    for _, row in complete.iterrows():
        assert actual.at[row["month"], "customer_retention_rate"] == pytest.approx(
            float(row["customer_retention_rate"])
        )
    running = months[~months["is_complete"]]["month"]
    assert all(pd.isna(actual["customer_retention_rate"].get(m)) for m in running), "the running month is left out"


@pytest.mark.parametrize(
    ("metric", "group_by", "says"),
    [
        ("customer_retention_rate", ["metric_time__fiscal_quarter"], "fiscal_quarter: customer_retention_rate_fiscal"),
        ("customer_retention_rate", [], "asked per all time"),
        ("customer_retention_rate_fiscal_year", ["metric_time__month"], "per month: customer_retention_rate"),
        ("stickiness", ["metric_time__quarter"], "stickiness answers per month only"),
        ("login_rate", ["metric_time"], "asked per day"),
    ],
)  # fmt: skip
def test_a_metric_is_refused_at_a_grain_it_does_not_answer(layer: SemanticLayer, metric, group_by, says) -> None:
    with pytest.raises(GrainNotOffered, match=says.replace("(", r"\(")):
        layer.sql([metric], group_by)


def test_grain_parsing_and_the_rule_itself() -> None:
    assert requested_grains(["metric_time", "metric_time__fiscal_quarter", "plan__plan_code", "x__y__quarter"]) == [
        "day",
        "fiscal_quarter",
        "quarter",
    ]
    limited = {"m": {"grains": ["month"]}}
    check_grains(limited, ["m", "other"], ["metric_time__month", "plan__plan_code"])
    check_grains(limited, ["other"], ["metric_time__year"])
    with pytest.raises(GrainNotOffered, match="asked per year"):
        check_grains(limited, ["m"], ["metric_time__month", "metric_time__year"])


def test_results_print_as_plain_numbers() -> None:
    frame = pd.DataFrame(
        {
            "metric_time__month": pd.to_datetime(["2026-07-01", "2026-08-01"]),
            "mrr": [45795100.0, 32161644.5],
            "accounts_at_start": [136.0, float("nan")],
            "rate": [0.11031, 0.0273],
        }
    )
    lines = format_frame(frame).splitlines()
    assert "e+" not in "\n".join(lines)
    assert lines[1].split() == ["2026-07-01", "45,795,100.0000", "136", "0.1103"]
    assert lines[2].split() == ["2026-08-01", "32,161,644.5000", "0.0273"]


def test_the_command_queries_a_warehouse_and_refuses_a_wrong_grain(revenue_build: Build, capsys) -> None:
    manifest = ["--manifest", str(revenue_build.target / "semantic_manifest.json")]
    warehouse = ["--warehouse", str(revenue_build.warehouse)]
    query = ["--metrics", "customer_retention_rate_fiscal_year,", "--group-by", "metric_time__fiscal_year"]
    status = cli_main(["query", *query, *manifest, *warehouse])
    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert out[0].split() == ["metric_time__fiscal_year", "customer_retention_rate_fiscal_year"]
    assert len(out) >= 3  # header and one row per fiscal year of the spine
    status = cli_main(["query", "--metrics", "stickiness", "--group-by", "metric_time__year", *manifest, *warehouse])
    assert status == 2
    assert "stickiness answers per month only" in capsys.readouterr().err

"""The semantic layer's revenue metrics at month, quarter, fiscal quarter and fiscal year, on the standard build.

Expected values come from mart_kpi_monthly with pandas: a period's balances (MRR, paying accounts, NRR-12) are
its last month's, its start base (accounts and MRR at start) its first month's, its churns, contractions,
expansions, upsells and cross-sells the sums of its months; rates use complete months only. At month grain the
metrics equal the rates mart_kpi_monthly stores. The fiscal year starts in the month of the dbt var
fiscal_year_start_month (April), read from dbt_project.yml.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import pytest
import yaml

from cs_warehouse.semantic_query import SemanticLayer
from tests.conftest import ROOT, Build

METRICS = [
    "mrr",
    "paying_accounts",
    "arpa",
    "accounts_at_start",
    "mrr_at_start",
    "churned_accounts",
    "logo_churn_rate",
    "gross_revenue_churn_rate",
    "net_revenue_churn_rate",
    "nrr_monthly",
    "grr_monthly",
    "upsell_rate",
    "cross_sell_rate",
    "nrr_12m",
    "grr_12m",
]
GRAINS = ("month", "quarter", "fiscal_quarter", "fiscal_year")


def fiscal_start_month() -> int:
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(project["vars"]["fiscal_year_start_month"])


@pytest.fixture(scope="module")
def layer(standard_build: Build) -> SemanticLayer:
    return SemanticLayer(standard_build.target / "semantic_manifest.json", standard_build.warehouse)


@pytest.fixture(scope="module")
def months(standard_build: Build) -> pd.DataFrame:
    with duckdb.connect(str(standard_build.warehouse), read_only=True) as con:
        frame = con.sql("select * from marts.mart_kpi_monthly order by month").df()
    frame["month"] = pd.to_datetime(frame["month"])
    for column in frame.columns:
        if column not in ("month", "is_complete") and frame[column].dtype == object:
            frame[column] = frame[column].astype(float)
    return frame


def period_start(row: pd.Series, grain: str) -> pd.Timestamp:
    month: pd.Timestamp = row["month"]
    if grain == "month":
        return month
    if grain == "quarter":
        return pd.Timestamp(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    # fiscal periods from the mart's own fiscal_year / fiscal_quarter columns and the var
    start = pd.Timestamp(int(row["fiscal_year"]), fiscal_start_month(), 1)
    if grain == "fiscal_year":
        return start
    return start + pd.DateOffset(months=3 * (int(row["fiscal_quarter"]) - 1))


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def expected(months: pd.DataFrame, grain: str) -> pd.DataFrame:
    rows = []
    frame = months.assign(period=months.apply(period_start, axis=1, grain=grain))
    for period, group in frame.groupby("period", sort=True):
        last = group.iloc[-1]
        complete = group[group["is_complete"]]
        first_complete = complete.iloc[0]
        start_accounts, start_mrr = first_complete["accounts_at_start"], first_complete["mrr_at_start"]
        churned, contraction = complete["churned_mrr"].sum(), complete["contraction_mrr"].sum()
        expansion = complete["expansion_mrr"].sum()
        with_nrr = complete[complete["mrr_base_12m"].fillna(0) > 0]
        rows.append(
            {
                "period": period,
                "mrr": last["mrr"],
                "paying_accounts": last["paying_accounts"],
                "arpa": ratio(last["mrr"], last["paying_accounts"]),
                "accounts_at_start": group.iloc[0]["accounts_at_start"],
                "mrr_at_start": group.iloc[0]["mrr_at_start"],
                "churned_accounts": group["churned_accounts"].sum(),
                "logo_churn_rate": ratio(complete["churned_accounts"].sum(), start_accounts),
                "gross_revenue_churn_rate": ratio(churned + contraction, start_mrr),
                "net_revenue_churn_rate": ratio(churned + contraction - expansion, start_mrr),
                "nrr_monthly": ratio(start_mrr + expansion - contraction - churned, start_mrr),
                "grr_monthly": ratio(start_mrr - contraction - churned, start_mrr),
                "upsell_rate": ratio(complete["upsell_accounts"].sum(), start_accounts),
                "cross_sell_rate": ratio(complete["cross_sell_accounts"].sum(), start_accounts),
                "nrr_12m": with_nrr.iloc[-1]["nrr_12m"] if len(with_nrr) else math.nan,
                "grr_12m": with_nrr.iloc[-1]["grr_12m"] if len(with_nrr) else math.nan,
            }
        )
    return pd.DataFrame(rows).set_index("period")


def assert_frames_match(actual: pd.DataFrame, wanted: pd.DataFrame, grain: str) -> None:
    assert list(actual.index) == list(wanted.index), f"{grain}: periods differ"
    for metric in METRICS:
        for period in wanted.index:
            got, want = actual.at[period, metric], wanted.at[period, metric]
            if pd.isna(want):
                assert pd.isna(got), f"{grain} {period:%Y-%m} {metric}: {got}, expected empty"
            else:
                assert got == pytest.approx(float(want), rel=1e-9, abs=1e-6), f"{grain} {period:%Y-%m} {metric}"


def test_the_fiscal_year_of_the_project_starts_in_april(months: pd.DataFrame) -> None:
    assert fiscal_start_month() == 4
    april = months[months["month"].dt.month == 4].iloc[0]
    march = months[months["month"].dt.month == 3].iloc[0]
    assert (april["fiscal_year"], april["fiscal_quarter"]) == (april["month"].year, 1)
    assert (march["fiscal_year"], march["fiscal_quarter"]) == (march["month"].year - 1, 4)


@pytest.mark.parametrize("grain", GRAINS)
def test_revenue_metrics_at_each_grain_match_the_monthly_mart(
    layer: SemanticLayer, months: pd.DataFrame, grain: str
) -> None:
    dimension = f"metric_time__{grain}"
    actual = layer.query(METRICS, [dimension], order_by=[dimension])
    actual[dimension] = pd.to_datetime(actual[dimension])
    assert actual[dimension].is_monotonic_increasing, "rows come back in period order"
    wanted = expected(months, grain)
    assert_frames_match(actual.set_index(dimension), wanted, grain)
    if grain != "month":
        # the start base is one month's, not a sum over the period's months
        assert (wanted["accounts_at_start"] <= months["accounts_at_start"].max()).all()
        assert len(wanted) < len(months)


def test_month_grain_equals_the_rates_the_mart_stores(layer: SemanticLayer, months: pd.DataFrame) -> None:
    rates = ["logo_churn_rate", "gross_revenue_churn_rate", "nrr_monthly", "grr_monthly", "nrr_12m", "arpa"]
    actual = layer.query(rates, ["metric_time__month"], order_by=["metric_time__month"])
    actual.index = pd.to_datetime(actual["metric_time__month"])
    stored = months.set_index("month")
    checked = 0
    for month, row in stored.iterrows():
        for rate in rates:
            if pd.isna(row[rate]):
                assert pd.isna(actual.at[month, rate]), f"{month:%Y-%m} {rate}"
            else:
                # the mart stores arpa rounded to the yen's hundredths
                tolerance = {"abs": 0.01} if rate == "arpa" else {"rel": 1e-9}
                assert actual.at[month, rate] == pytest.approx(float(row[rate]), **tolerance), f"{month:%Y-%m} {rate}"
                checked += 1
    assert checked > 40


def test_a_fiscal_year_of_churn_is_its_churns_over_the_customers_at_its_start(
    layer: SemanticLayer, months: pd.DataFrame
) -> None:
    """One period worked through by hand from the mart's month rows: FY2026 (April 2026 on)."""
    fy = months[(months["month"] >= dt.datetime(2026, 4, 1)) & (months["month"] < dt.datetime(2027, 4, 1))]
    assert len(fy) == 6 and fy["is_complete"].all()  # April..September 2026 on the standard dataset
    churns, start = int(fy["churned_accounts"].sum()), int(fy.iloc[0]["accounts_at_start"])
    actual = layer.query(
        ["logo_churn_rate", "accounts_at_start", "churned_accounts"],
        ["metric_time__fiscal_year"],
        where=["{{ TimeDimension('metric_time', 'fiscal_year') }} = '2026-04-01'"],
    )
    assert len(actual) == 1
    assert int(actual.at[0, "accounts_at_start"]) == start
    assert int(actual.at[0, "churned_accounts"]) == churns
    assert actual.at[0, "logo_churn_rate"] == pytest.approx(churns / start)
    assert int(actual.at[0, "accounts_at_start"]) < int(fy["accounts_at_start"].sum())

"""The revenue marts agree with a computation that never reads a dbt model.

A generated landing folder is loaded and built with dbt; the same KPIs are then recomputed in pandas from the
landing CSVs alone (docs/kpis.md read literally): logo churn, NRR-12 and churn by plan x tenure band.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.conftest import REVENUE, Build

REPO = Path(__file__).resolve().parents[2]
AS_OF = REVENUE.end_date


@pytest.fixture(scope="module")
def built(revenue_build: Build) -> tuple[Path, Path]:
    """The session's revenue dataset (tests/conftest.py): 250 accounts over 30 months, the revenue marts."""
    return revenue_build.landing, revenue_build.warehouse


def month_starts(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    return list(pd.date_range(first, last, freq="MS"))


def account_month_mrr(landing: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MRR and primary plan per account at each month end, straight from the CSV exports."""
    contracts = pd.read_csv(landing / "contracts.csv", dtype=str)
    items = pd.read_csv(landing / "contract_items.csv", dtype=str)
    plans = pd.read_csv(landing / "plans.csv", dtype=str)
    rates = pd.read_csv(REPO / "seeds" / "fx_rates.csv").set_index("currency_code")["rate_to_reporting"]
    df = items.merge(contracts, left_on="ContractId", right_on="Id", suffixes=("", "_c")).merge(
        plans, left_on="PlanId", right_on="Id", suffixes=("", "_p")
    )
    df["start"] = pd.to_datetime(df["StartDate"])
    # exclusive ends: the day after the last active day; an active contract auto-renews, so it has no end
    item_end = pd.to_datetime(df["EndDate"]) + pd.Timedelta(days=1)
    contract_end = pd.to_datetime(df["EndDate_c"]) + pd.Timedelta(days=1)
    contract_end[df["Status"] == "active"] = pd.NaT
    df["end"] = pd.concat([item_end, contract_end], axis=1).min(axis=1)
    amount = df["Amount"].astype(float) * df["CurrencyIsoCode"].map(rates).astype(float)
    df["monthly"] = np.where(df["BillingPeriod__c"] == "annual", amount / 12, amount)
    df["tier_rank"] = df["TierRank__c"].astype(int)

    rows = []
    for month in month_starts(df["start"].min().to_period("M").to_timestamp(), pd.Timestamp(AS_OF)):
        month_end = month + pd.offsets.MonthEnd(0)
        active = df[(df["start"] <= month_end) & (df["end"].isna() | (df["end"] > month_end))]
        for account, group in active.groupby("AccountId"):
            top = group.sort_values(["monthly", "tier_rank", "PlanId"], ascending=[False, False, True]).iloc[0]
            rows.append((account, month, round(group["monthly"].sum(), 2), top["Name"]))
    return pd.DataFrame(rows, columns=["account_id", "month", "mrr", "plan"]), df


def previous(month: pd.Timestamp, n: int = 1) -> pd.Timestamp:
    return month - pd.DateOffset(months=n)


@pytest.fixture(scope="module")
def expected(built: tuple[Path, Path]) -> dict[str, pd.DataFrame]:
    landing, _ = built
    snap, _ = account_month_mrr(landing)
    mrr = snap.pivot_table(index="account_id", columns="month", values="mrr", aggfunc="sum").fillna(0.0)
    plan = snap.pivot(index="account_id", columns="month", values="plan")
    months = list(mrr.columns)
    first_paid = (mrr > 0).idxmax(axis=1).where((mrr > 0).any(axis=1))

    churn_rows, nrr_rows, plan_rows = [], [], []
    for month in months:
        before = previous(month)
        if before not in mrr.columns:
            continue
        base = mrr.index[mrr[before] > 0]
        churned = base[mrr.loc[base, month] == 0]
        churn_rows.append((month, len(base), len(churned), len(churned) / len(base) if len(base) else None))

        base_12 = previous(month, 12)
        if base_12 in mrr.columns:
            cohort = mrr.index[mrr[base_12] > 0]
            if len(cohort):
                nrr_rows.append((month, mrr.loc[cohort, month].sum() / mrr.loc[cohort, base_12].sum()))

        for account in base:
            tenure = (month.year - first_paid[account].year) * 12 + month.month - first_paid[account].month
            band = (
                "0-3" if tenure <= 3 else "4-6" if tenure <= 6 else "7-12" if tenure <= 12
                else "13-24" if tenure <= 24 else "25+"
            )  # fmt: skip
            plan_rows.append((month, plan.loc[account, before], band, account in churned))

    by_plan = (
        pd.DataFrame(plan_rows, columns=["month", "plan", "tenure_band", "churned"])
        .groupby(["month", "plan", "tenure_band"])
        .agg(accounts_at_start=("churned", "size"), churned_accounts=("churned", "sum"))
        .reset_index()
    )
    return {
        "churn": pd.DataFrame(churn_rows, columns=["month", "accounts_at_start", "churned_accounts", "rate"]),
        "nrr": pd.DataFrame(nrr_rows, columns=["month", "nrr_12m"]),
        "by_plan": by_plan,
    }


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        out = con.execute(sql).df()
    out["month"] = pd.to_datetime(out["month"])
    return out


def test_logo_churn_matches(built, expected) -> None:
    mart = query(
        built[1], "select month, accounts_at_start, churned_accounts, logo_churn_rate from marts.mart_kpi_monthly"
    )
    merged = expected["churn"].merge(mart, on="month", how="inner")
    assert len(merged) >= 24
    assert (merged["accounts_at_start_x"] == merged["accounts_at_start_y"]).all()
    assert (merged["churned_accounts_x"] == merged["churned_accounts_y"]).all()
    measured = merged.dropna(subset=["rate"])
    assert measured["churned_accounts_x"].sum() > 20, "the dataset must actually churn"
    np.testing.assert_allclose(measured["logo_churn_rate"], measured["rate"], atol=1e-12)


def test_nrr_12m_matches(built, expected) -> None:
    mart = query(built[1], "select month, nrr_12m from marts.mart_kpi_monthly where nrr_12m is not null")
    merged = expected["nrr"].merge(mart, on="month", how="outer", suffixes=("_expected", "_mart"))
    assert len(merged) >= 12
    # to the hundredth of a percent, on MRR sums rounded to the cent
    np.testing.assert_allclose(merged["nrr_12m_mart"], merged["nrr_12m_expected"], atol=1e-4)


def test_churn_by_plan_and_tenure_matches(built, expected) -> None:
    mart = query(
        built[1],
        "select month, plan, tenure_band, accounts_at_start, churned_accounts from marts.mart_churn_by_plan_tenure",
    )
    keys = ["month", "plan", "tenure_band"]
    merged = expected["by_plan"].merge(mart, on=keys, how="outer", suffixes=("_expected", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["accounts_at_start_expected"] == merged["accounts_at_start_mart"]).all()
    assert (merged["churned_accounts_expected"] == merged["churned_accounts_mart"]).all()
    assert merged["tenure_band"].nunique() >= 4

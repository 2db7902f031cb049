"""The health score carries signal: accounts that churn scored lower 60 days before than accounts that renewed.

Churn and renewal are read from the generator's contracts file (not from the warehouse): a contract that
ended cancelled or expired with no successor starting within 30 days is a churn on the day after its last
paid day; a contract marked renewed is a renewal on that day. The scores are the warehouse's health history;
the AUC is computed here from those pairs (Mann-Whitney), never read from mart_health_backtest.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import STANDARD, Build

END = dt.date.fromisoformat(STANDARD.end_date)
LEAD = pd.Timedelta(days=60)
GRACE = pd.Timedelta(days=30)


@pytest.fixture(scope="module")
def built(standard_build: Build) -> tuple[Path, Path]:
    """The session's standard dataset (tests/conftest.py): 200 accounts over 15 months."""
    return standard_build.landing, standard_build.warehouse


def _outcomes(landing: Path) -> pd.DataFrame:
    """(account_id, outcome, day) for every churn and every renewal in the contracts file."""
    contracts = pd.read_csv(landing / "contracts.csv", dtype=str)
    contracts["start"] = pd.to_datetime(contracts["StartDate"])
    contracts["day"] = pd.to_datetime(contracts["EndDate"]) + pd.Timedelta(days=1)
    rows = []
    for _, c in contracts.iterrows():
        if c["Status"] == "renewed":
            rows.append((c["AccountId"], "renewed", c["day"]))
        elif c["Status"] in ("cancelled", "expired"):
            others = contracts[(contracts["AccountId"] == c["AccountId"]) & (contracts["Id"] != c["Id"])]
            successor = others[(others["start"] > c["start"]) & (others["start"] <= c["day"] + GRACE)]
            if successor.empty:
                rows.append((c["AccountId"], "churned", c["day"]))
    return pd.DataFrame(rows, columns=["account_id", "outcome", "day"])


@pytest.fixture(scope="module")
def scored(built: tuple[Path, Path]) -> pd.DataFrame:
    landing, db = built
    with duckdb.connect(str(db), read_only=True) as con:
        scores = con.execute(
            "select account_id, score_date, health_score from marts.mart_health_score_daily"
            " where health_score is not null"
        ).df()
    scores["score_date"] = pd.to_datetime(scores["score_date"])
    # the first 60 days of history have no prior usage window to compare with
    first_fair_day = scores["score_date"].min() + LEAD
    outcomes = _outcomes(landing)
    outcomes["score_date"] = outcomes["day"] - LEAD
    outcomes = outcomes[(outcomes["score_date"] >= first_fair_day) & (outcomes["day"] <= pd.Timestamp(END))]
    return outcomes.merge(scores, on=["account_id", "score_date"], how="inner")


def _auc(retained: list[float], churned: list[float]) -> float:
    """P(a retained account scored higher than a churned one), ties counting half."""
    wins = sum((r > c) + 0.5 * (r == c) for r in retained for c in churned)
    return wins / (len(retained) * len(churned))


def test_churners_scored_lower_60_days_before(scored: pd.DataFrame) -> None:
    churned = scored.loc[scored["outcome"] == "churned", "health_score"]
    renewed = scored.loc[scored["outcome"] == "renewed", "health_score"]
    assert len(churned) >= 8 and len(renewed) >= 8, scored["outcome"].value_counts()
    assert churned.mean() < renewed.mean(), (churned.mean(), renewed.mean())


def test_auc_above_chance(scored: pd.DataFrame) -> None:
    churned = scored.loc[scored["outcome"] == "churned", "health_score"].tolist()
    renewed = scored.loc[scored["outcome"] == "renewed", "health_score"].tolist()
    assert _auc(renewed, churned) > 0.5


def test_auc_helper_on_hand_worked_scores() -> None:
    # pairs (retained, churned): 80>30 80>50 60>30 60>50, 50=50 half, 50>30 -> 5.5 of 6
    assert _auc([80, 60, 50], [30, 50]) == pytest.approx(5.5 / 6)

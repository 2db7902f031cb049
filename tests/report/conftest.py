"""Small serving copies for the report tests: the public marts, optionally with the health/alert/target marts.

Only the columns the report reads are created; the values are generated from a fixed seed so a failing
page can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

MONTHS = 18
FIRST_MONTH = dt.date(2025, 4, 1)


def _month(i: int) -> dt.date:
    year, month = divmod(FIRST_MONTH.month - 1 + i, 12)
    return dt.date(FIRST_MONTH.year + year, month + 1, 1)


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: str, rows: list[tuple]) -> None:
    con.execute(f"create table marts.{table} ({columns})")
    marks = ", ".join("?" for _ in rows[0])
    con.executemany(f"insert into marts.{table} values ({marks})", rows)


def _public_marts(con: duckdb.DuckDBPyConnection, rng: random.Random) -> None:
    kpi_rows, mrr = [], 20_000_000.0
    for i in range(MONTHS):
        start = mrr
        new, react, exp = rng.uniform(4e5, 9e5), rng.uniform(0, 1e5), rng.uniform(2e5, 6e5)
        contr, churn = rng.uniform(1e5, 3e5), rng.uniform(0, 5e5)
        mrr = start + new + react + exp - contr - churn
        complete = i < MONTHS - 1
        nrr = (start + exp - contr - churn) / start
        kpi_rows.append(
            (_month(i), complete, mrr, mrr * 12, 80 + i, start, new, react, exp, contr, churn,
             rng.uniform(0, 0.04) if complete else None, nrr if complete else None,
             rng.uniform(1.0, 1.2) if complete and i >= 12 else None,
             rng.uniform(0.8, 0.95) if complete and i >= 12 else None,
             2000 + 30 * i, rng.uniform(0.1, 0.14), rng.uniform(0.5, 0.8), rng.uniform(0.6, 0.9), None)
        )  # fmt: skip
    _insert(
        con,
        "mart_kpi_monthly",
        "month date, is_complete boolean, mrr decimal(18, 2), arr decimal(18, 2), paying_accounts integer, "
        "mrr_at_start decimal(18, 2), new_mrr decimal(18, 2), reactivation_mrr decimal(18, 2), "
        "expansion_mrr decimal(18, 2), contraction_mrr decimal(18, 2), churned_mrr decimal(18, 2), "
        "logo_churn_rate double, nrr_monthly double, nrr_12m double, grr_12m double, mau integer, "
        "stickiness double, csat double, onboarding_completion_rate double, nps double",
        kpi_rows,
    )
    plans = [("Starter", "starter"), ("Standard", "standard"), ("Enterprise", "enterprise")]
    bands = ["0-3", "4-6", "7-12", "13-24"]
    _insert(
        con,
        "mart_churn_by_plan_tenure",
        "month date, is_complete boolean, plan varchar, plan_tier varchar, tenure_band varchar, "
        "tenure_band_order integer, accounts_at_start integer, churned_accounts integer",
        [
            (_month(i), i < MONTHS - 1, plan, tier, band, k + 1, 10, rng.randint(0, 2))
            for i in range(MONTHS)
            for plan, tier in plans
            for k, band in enumerate(bands)
        ],
    )
    cohort_rows = []
    for c in range(MONTHS):
        size, active = rng.randint(3, 8), None
        for k in range(MONTHS - c):
            active = size if active is None else max(0, active - (rng.random() < 0.2))
            cohort_rows.append((_month(c), k, c + k < MONTHS - 1, size, active, active / size))
    _insert(
        con,
        "mart_cohort_retention",
        "cohort_month date, months_since_start integer, is_complete boolean, cohort_accounts integer, "
        "active_accounts integer, logo_retention double",
        cohort_rows,
    )
    _insert(
        con,
        "mart_onboarding_cohorts",
        "cohort_month date, is_complete boolean, onboarding_cohort_accounts integer, "
        "onboarding_completed_accounts integer",
        [(_month(i), i < MONTHS - 1, 6, rng.randint(2, 5)) for i in range(MONTHS)],
    )
    _insert(
        con,
        "mart_time_to_first_action",
        "cohort_month date, milestone_code varchar, observed_30d_accounts integer, reached_within_30d_rate double",
        [
            (_month(i), code, 6, rate)
            for i in range(MONTHS - 1)
            for code, rate in (
                ("first_login", 1.0),
                ("initial_setup", 0.95),
                ("tutorial", 0.8),
                ("first_key_action", 0.7),
            )
        ],
    )
    last_day = _month(MONTHS) - dt.timedelta(days=1)
    _insert(
        con,
        "mart_usage_daily",
        "report_date date, dau integer, mau integer",
        [(last_day - dt.timedelta(days=d), rng.randint(150, 300), 2500 - d) for d in range(200)],
    )
    _insert(
        con,
        "mart_nps_quarterly",
        "fiscal_year integer, fiscal_quarter integer, segment varchar, nps double, nps_responses integer",
        [(2025 + q // 4, q % 4 + 1, "all", rng.uniform(-20, 25), 60) for q in range(6)],
    )


def _pending_marts(con: duckdb.DuckDBPyConnection, rng: random.Random) -> None:
    """customer_360, health, alerts and KPI targets as docs/kpis.md names them."""
    last_day = _month(MONTHS) - dt.timedelta(days=1)
    accounts = [f"A{n:03d}" for n in range(40)]
    health_rows = []
    for account in accounts:
        base = rng.uniform(20, 95)
        for d in range(100):
            score = max(0.0, min(100.0, base + rng.uniform(-8, 8)))
            band = "red" if score < 40 else "yellow" if score < 70 else "green"
            health_rows.append((account, last_day - dt.timedelta(days=d), score, band))
    _insert(
        con,
        "mart_health_score_daily",
        "account_id varchar, score_date date, health_score double, health_band varchar",
        health_rows,
    )
    latest = {a: (s, b) for a, d, s, b in health_rows if d == last_day}
    _insert(
        con,
        "mart_churn_risk_alerts",
        "alert_id varchar, account_id varchar, alert_type varchar, severity varchar, status varchar",
        [
            (f"AL{i}", a, kind, sev, "open")
            for i, (a, kind, sev) in enumerate(
                [
                    (accounts[0], "usage_drop", "critical"),
                    (accounts[0], "new_detractor", "warning"),
                    (accounts[3], "low_seat_utilisation", "warning"),
                ]
            )
        ],
    )
    _insert(
        con,
        "customer_360",
        "account_id varchar, account_name varchar, owner_csm_user_id varchar, health_score double, "
        "health_band varchar, arr decimal(18, 2), open_alerts integer",
        [
            (
                a,
                f"株式会社サンプル{n}",
                f"CSM {n % 4}",
                latest[a][0],
                latest[a][1],
                rng.uniform(1e6, 3e7),
                int(n in (0, 3)) + int(n == 0),
            )
            for n, a in enumerate(accounts)
        ],
    )
    month = _month(MONTHS - 2)
    _insert(
        con,
        "mart_kpi_targets",
        "kpi_key varchar, month date, target_value double, actual_value double, status varchar",
        [
            ("nrr_12m", month, 1.1, 1.05, "behind"),
            ("logo_churn_rate", month, 0.02, 0.01, "on_track"),
            ("mrr", month, 2.5e7, None, None),
        ],
    )


def make_serving_copy(path: Path, *, with_pending_marts: bool) -> Path:
    rng = random.Random(11)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        _public_marts(con, rng)
        if with_pending_marts:
            _pending_marts(con, rng)
        con.execute("create table main._publication as select '2026-10-01T17:00:00+00:00' as published_at")
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on PATH: run scripts/chromium.sh")


def render_in_browser(browser: str, page: Path, profile: Path) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and every console message the page logged."""
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return result.stdout, console

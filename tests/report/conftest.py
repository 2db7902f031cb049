"""Small serving copies for the report tests, built to the marts' contracts in target/manifest.json.

Every mart the report reads is created with all the columns its contract declares (dbt's data types); only
the columns the report reads are filled, from a fixed seed so a failing page can be reproduced. Without
`with_health_data` the health, alert, target and customer 360 marts exist but are empty (a landing folder
without product events or targets).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cs_warehouse.report.contract import Contracts
from cs_warehouse.report.data import READS

MONTHS = 18
FIRST_MONTH = dt.date(2025, 4, 1)


def _month(i: int) -> dt.date:
    year, month = divmod(FIRST_MONTH.month - 1 + i, 12)
    return dt.date(FIRST_MONTH.year + year, month + 1, 1)


ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "target" / "manifest.json"


def contracts() -> Contracts:
    if not MANIFEST.is_file():
        pytest.fail(f"no {MANIFEST}: run `.venv/bin/dbt parse` first (make test does)")
    return Contracts.from_manifest(MANIFEST)


def create_marts(con: duckdb.DuckDBPyConnection, marts: Contracts) -> None:
    """Every mart the report reads, empty, with the columns and types of its contract."""
    con.execute("create schema if not exists marts")
    for name in READS:
        columns = [f'"{c.name}" {c.data_type or "varchar"}' for c in marts.mart(name).columns.values()]
        con.execute(f"create table marts.{name} ({', '.join(columns)})")


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: str, rows: list[tuple]) -> None:
    # One insert from a data frame: a prepared insert per row takes about 10 ms each.
    frame = pd.DataFrame(rows, columns=[c.strip() for c in columns.split(",")])  # noqa: F841 (read by DuckDB)
    con.execute(f"insert into marts.{table} ({columns}) select * from frame")


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
        "month, is_complete, mrr, arr, paying_accounts, "
        "mrr_at_start, new_mrr, reactivation_mrr, "
        "expansion_mrr, contraction_mrr, churned_mrr, "
        "logo_churn_rate, nrr_monthly, nrr_12m, grr_12m, mau, "
        "stickiness, csat, onboarding_completion_rate, nps",
        kpi_rows,
    )
    plans = [("Starter", "starter"), ("Standard", "standard"), ("Enterprise", "enterprise")]
    bands = ["0-3", "4-6", "7-12", "13-24"]
    _insert(
        con,
        "mart_churn_by_plan_tenure",
        "month, is_complete, plan, plan_tier, tenure_band, tenure_band_order, accounts_at_start, churned_accounts",
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
        "cohort_month, months_since_start, is_complete, cohort_accounts, active_accounts, logo_retention",
        cohort_rows,
    )
    _insert(
        con,
        "mart_onboarding_cohorts",
        "cohort_month, is_complete, onboarding_cohort_accounts, onboarding_completed_accounts",
        [(_month(i), i < MONTHS - 1, 6, rng.randint(2, 5)) for i in range(MONTHS)],
    )
    _insert(
        con,
        "mart_time_to_first_action",
        "cohort_month, milestone_code, observed_30d_accounts, reached_within_30d_rate",
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
        "report_date, dau, mau",
        [(last_day - dt.timedelta(days=d), rng.randint(150, 300), 2500 - d) for d in range(200)],
    )
    _insert(
        con,
        "mart_nps_quarterly",
        "fiscal_year, fiscal_quarter, segment, nps, nps_responses",
        [(2025 + q // 4, q % 4 + 1, "all", rng.uniform(-20, 25), 60) for q in range(6)],
    )


def _health_marts(con: duckdb.DuckDBPyConnection, rng: random.Random) -> None:
    """customer_360, health scores, alerts and KPI targets."""
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
        "account_id, score_date, health_score, health_band",
        health_rows,
    )
    latest = {a: (s, b) for a, d, s, b in health_rows if d == last_day}
    _insert(
        con,
        "mart_churn_risk_alerts",
        "alert_id, account_id, alert_type, severity, status, is_enabled, is_actionable",
        [
            (f"AL{i}", a, kind, sev, "open", enabled, enabled)
            for i, (a, kind, sev, enabled) in enumerate(
                [
                    (accounts[0], "usage_drop", "critical", True),
                    (accounts[0], "new_detractor", "warning", True),
                    (accounts[3], "low_seat_utilisation", "warning", True),
                    # open, of a type switched off in alert_type_policy: computed, never shown
                    (accounts[3], "urgent_ticket_overdue", "critical", False),
                ]
            )
        ],
    )
    _insert(
        con,
        "customer_360",
        "account_id, account_name, owner_csm_user_id, owner_csm_name, health_score, health_band, arr, open_alerts, "
        "is_paying_customer",
        [
            (
                a,
                f"株式会社サンプル{n}",
                f"CSM {n % 4}",
                ("佐藤 花子", "鈴木 一郎", "高橋 美咲", None)[n % 4],
                latest[a][0],
                latest[a][1],
                rng.uniform(1e6, 3e7),
                int(n in (0, 3)) + int(n == 0),
                True,
            )
            for n, a in enumerate(accounts)
        ],
    )
    month = _month(MONTHS - 2)
    _insert(
        con,
        "mart_kpi_targets",
        "kpi_key, month, target_value, actual_value, status",
        [
            ("nrr_12m", month, 1.1, 1.05, "behind"),
            ("logo_churn_rate", month, 0.02, 0.01, "on_track"),
            ("mrr", month, 2.5e7, None, None),
        ],
    )


def make_serving_copy(path: Path, *, with_health_data: bool) -> Path:
    rng = random.Random(11)
    with duckdb.connect(str(path)) as con:
        create_marts(con, contracts())
        _public_marts(con, rng)
        if with_health_data:
            _health_marts(con, rng)
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

"""Small serving copies for the report tests, built to the marts' contracts in target/manifest.json.

Every mart the report reads is created with all the columns its contract declares (dbt's data types); only
the columns the report reads are filled, from a fixed seed so a failing page can be reproduced. Without
`with_health_data` the health, alert, target, customer 360 and CS-operations marts exist but are empty (a
landing folder without product events or targets). With it, CSM 0 (佐藤 花子) owns A000, A004, ..., A036 and
has hand-worked touches, renewals and alerts (see `_cs_ops_marts`); the team has an activity log.
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
from cs_warehouse.report.csm import CSM_READS
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
    for name in dict.fromkeys((*READS, *CSM_READS)):
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
        "alert_id, account_id, alert_type, severity, status, is_enabled, is_actionable, first_detected_date, "
        "evidence_metric, evidence_value, evidence_compared_to, evidence_threshold, owner_csm_user_id, "
        "owner_csm_name, priority_rank, arr_at_risk, is_within_daily_cap",
        [
            (
                f"AL{i}",
                a,
                kind,
                sev,
                "open",
                enabled,
                enabled,
                last_day - dt.timedelta(days=i),
                *evidence,
                owner,
                name,
                i + 1,
                1e7 - i * 1e6,
                True,
            )
            for i, (a, kind, sev, enabled, evidence, owner, name) in enumerate(
                [
                    (
                        accounts[0],
                        "usage_drop",
                        "critical",
                        True,
                        ("usage_ratio_7d", 0.42, 0.9, 0.5),
                        "CSM 0",
                        "佐藤 花子",
                    ),
                    (
                        accounts[0],
                        "new_detractor",
                        "warning",
                        True,
                        ("lowest_detractor_score", 3, 5, 6),
                        "CSM 0",
                        "佐藤 花子",
                    ),
                    (
                        accounts[3],
                        "low_seat_utilisation",
                        "warning",
                        True,
                        ("active_user_share", 0.2, 50, 0.3),
                        "CSM 3",
                        None,
                    ),
                    # open, of a type switched off in alert_type_policy: computed, never shown
                    (
                        accounts[3],
                        "urgent_ticket_overdue",
                        "critical",
                        False,
                        ("oldest_urgent_ticket_age_days", 9, 1, 3),
                        "CSM 3",
                        None,
                    ),
                ]
            )
        ],
    )
    _insert(
        con,
        "customer_360",
        "account_id, account_name, owner_csm_user_id, owner_csm_name, health_score, health_band, arr, open_alerts, "
        "is_paying_customer, touch_tier, health_score_date, next_renewal_date",
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
                ("high_touch", "low_touch", "tech_touch")[(n // 4) % 3],
                last_day,
                # CSM 0's k-th account renews 12k days after the last day: k = 0..7 within 90 days
                last_day + dt.timedelta(days=12 * (n // 4) if n % 4 == 0 else 200),
            )
            for n, a in enumerate(accounts)
        ],
    )
    _cs_ops_marts(con, accounts)
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


# CSM 0's ten accounts this month, k = 0..9 (A000, A004, ...): tier, prescribed and actual touches. Not covered
# (actual < prescribed): k = 0, 2, 3, 4, 6, 8, 9.
CSM0_TOUCHES = [(("high_touch", "low_touch", "tech_touch")[k % 3], (2, 1, 1)[k % 3], k % 2) for k in range(10)]
# Episodes detected in the last complete month: response hours and acted within SLA (None: still pending).
# 4 episodes, 3 decided, 2 acted within SLA (67%), median response 10.0 h. One more in the running month.
FOLLOWUP = [(2.0, True), (10.0, True), (30.0, False), (None, None)]


def _cs_ops_marts(con: duckdb.DuckDBPyConnection, accounts: list[str]) -> None:
    """Touch coverage, alert follow-up and workload, hand-worked (the tests compare with the constants above)."""
    running, last_complete = _month(MONTHS - 1), _month(MONTHS - 2)
    _insert(
        con,
        "mart_touch_coverage",
        "account_id, month, touch_tier, owner_csm_user_id, prescribed_touches, actual_touches, is_covered, is_complete",
        [
            (accounts[4 * k], running, tier, "CSM 0", prescribed, actual, actual >= prescribed, False)
            for k, (tier, prescribed, actual) in enumerate(CSM0_TOUCHES)
        ],
    )
    _insert(
        con,
        "mart_touch_coverage_monthly",
        "month, touch_tier, accounts, covered_accounts, touch_coverage, prescribed_touches, actual_touches, "
        "is_complete",
        [
            (month, tier, 10, covered, covered / 10, 20, 15, month != running)
            for month in (_month(MONTHS - 3), last_complete, running)
            for tier, covered in (("high_touch", 8), ("low_touch", 5), ("tech_touch", 9))
        ],
    )
    _insert(
        con,
        "mart_alert_followup",
        "alert_id, first_detected_date, response_hours, is_acted_within_sla",
        [(f"EP{i}", last_complete + dt.timedelta(days=i), h, ok) for i, (h, ok) in enumerate(FOLLOWUP)]
        + [("EP_RUNNING", running + dt.timedelta(days=3), 5.0, True)],
    )
    _insert(
        con,
        "mart_csm_workload",
        "csm_user_id, csm_name, month, is_complete, accounts, high_touch_accounts, low_touch_accounts, "
        "tech_touch_accounts, arr_at_start, activities_completed, alerts_raised, alerts_acted_within_sla, "
        "alert_action_rate, median_response_hours, touch_coverage",
        [
            ("CSM 0", "佐藤 花子", last_complete, True, 10, 4, 3, 3, 1.2e8, 31, 4, 2, 0.5, 12.5, 0.7),
            ("CSM 1", "鈴木 一郎", last_complete, True, 10, 3, 4, 3, 0.9e8, 22, 2, 1, 0.5, 30.0, 0.6),
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


def render_in_browser(browser: str, page: Path, profile: Path, *, offline: bool = False) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and every console message the page logged.

    `offline`: no host name resolves, as on a machine without internet."""
    result = subprocess.run(
        [
            browser,
            *(["--host-resolver-rules=MAP * ~NOTFOUND"] if offline else []),
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

"""What the report reads from the serving copy: named columns of marts with enforced contracts.

`READS` lists every mart and column the report uses. Before reading, `Contracts.check` makes sure each is
declared by the mart's contract (target/manifest.json) and present in the serving copy; otherwise the report
fails with the mart and column named. Every query selects only columns of `READS`. A mart with no rows (a
source the landing folder or mapping does not provide, a seed with no targets) is listed in
`ReportData.empty_marts` and its section says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from cs_warehouse import serving
from cs_warehouse.report.contract import Contracts

if TYPE_CHECKING:
    from cs_warehouse.report.csm import CsmData

SCHEMA = "marts"
TIER_ORDER = {"free": 0, "starter": 1, "standard": 2, "enterprise": 3}
BANDS = ("red", "yellow", "green")

# The KPI columns of mart_kpi_monthly the tiles show, and the MRR bridge of the waterfall.
TILE_KPIS = (
    "mrr", "arr", "nrr_12m", "grr_12m", "logo_churn_rate", "nrr_monthly", "paying_accounts", "mau", "stickiness",
    "nps", "csat", "onboarding_completion_rate",
)  # fmt: skip
BRIDGE = ("mrr_at_start", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "mrr")

READS: dict[str, tuple[str, ...]] = {
    "mart_kpi_monthly": tuple(
        dict.fromkeys(("month", "is_complete", *TILE_KPIS, *BRIDGE, "grr_monthly"))  # ordered, no repeats
    ),
    "mart_churn_by_plan_tenure": (
        "month", "is_complete", "plan", "plan_tier", "tenure_band", "tenure_band_order", "accounts_at_start",
        "churned_accounts",
    ),
    "mart_cohort_retention": (
        "cohort_month", "months_since_start", "is_complete", "cohort_accounts", "active_accounts", "logo_retention",
    ),
    "mart_onboarding_cohorts": ("is_complete", "onboarding_cohort_accounts", "onboarding_completed_accounts"),
    "mart_time_to_first_action": ("milestone_code", "observed_30d_accounts", "reached_within_30d_rate"),
    "mart_usage_daily": ("report_date", "dau", "mau"),
    "mart_nps_quarterly": ("fiscal_year", "fiscal_quarter", "segment", "nps", "nps_responses"),
    "mart_kpi_targets": ("kpi_key", "month", "target_value", "actual_value", "status"),
    "mart_health_score_daily": ("score_date", "health_band"),
    "customer_360": (
        "account_id", "account_name", "owner_csm_user_id", "owner_csm_name", "health_score", "health_band", "arr",
        "open_alerts", "is_paying_customer",
    ),
    "mart_churn_risk_alerts": ("account_id", "alert_type", "severity", "is_actionable"),
}  # fmt: skip


@dataclass
class ReportData:
    published_at: str | None  # ISO 8601 with its offset, as the publish step stamped it
    latest_month: dt.date | None
    monthly: list[dict[str, Any]]
    churn_heatmap: dict[str, Any] | None
    cohort_heatmap: dict[str, Any] | None
    funnel: list[tuple[str, float]] | None
    usage_daily: list[dict[str, Any]]
    nps_quarters: list[dict[str, Any]]
    targets: dict[str, dict[str, Any]]
    health: dict[str, Any] | None
    at_risk: list[dict[str, Any]]
    at_risk_total: int  # accounts the at-risk list would hold without its limit
    empty_marts: list[str]  # marts with no rows: their sections say so
    contracts: Contracts
    csm: CsmData | None = None  # the CSM and team pages' rows


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def catalog(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Table name -> column names of every table and view in the marts schema."""
    tables: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?", [SCHEMA]
    ).fetchall():
        tables.setdefault(table, set()).add(column)
    return tables


def load_monthly(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = _rows(con, f"select {', '.join(READS['mart_kpi_monthly'])} from {SCHEMA}.mart_kpi_monthly order by month")
    for row in rows:
        for key in row:
            if key not in ("month", "is_complete"):
                row[key] = _as_float(row[key])
    return rows


def load_churn_heatmap(con: duckdb.DuckDBPyConnection, months: int = 12) -> dict[str, Any] | None:
    rows = _rows(
        con,
        f"""
        with recent as (
            select plan, plan_tier, tenure_band, tenure_band_order, accounts_at_start, churned_accounts
            from {SCHEMA}.mart_churn_by_plan_tenure
            where is_complete
              and month > (select max(month) from {SCHEMA}.mart_churn_by_plan_tenure where is_complete)
                          - interval ({months}) month
        )
        select plan, min(plan_tier) as plan_tier, tenure_band, min(tenure_band_order) as band_order,
               sum(accounts_at_start) as at_start, sum(churned_accounts) as churned
        from recent group by plan, tenure_band
        """,
    )
    if not rows:
        return None
    plans = sorted({(TIER_ORDER.get(r["plan_tier"], 9), r["plan"]) for r in rows})
    bands = sorted({(r["band_order"], r["tenure_band"]) for r in rows})
    by_key = {(r["plan"], r["tenure_band"]): r for r in rows}
    cells, notes = [], []
    for _, plan in plans:
        row_cells, row_notes = [], []
        for _, band in bands:
            r = by_key.get((plan, band))
            at_start = r["at_start"] if r else 0
            row_cells.append(r["churned"] / at_start if r and at_start else None)
            row_notes.append(f"{r['churned']}/{at_start}" if r else "")
        cells.append(row_cells)
        notes.append(row_notes)
    return {"rows": [p for _, p in plans], "cols": [b for _, b in bands], "cells": cells, "notes": notes}


def load_cohort_heatmap(con: duckdb.DuckDBPyConnection, cohorts: int = 12, horizon: int = 12) -> dict[str, Any] | None:
    rows = _rows(
        con,
        f"""
        with recent as (
            select distinct cohort_month from {SCHEMA}.mart_cohort_retention
            order by cohort_month desc limit {cohorts}
        )
        select c.cohort_month, c.months_since_start, c.logo_retention, c.cohort_accounts, c.active_accounts
        from {SCHEMA}.mart_cohort_retention as c
        inner join recent using (cohort_month)
        where c.is_complete and c.months_since_start <= {horizon}
        order by c.cohort_month, c.months_since_start
        """,
    )
    if not rows:
        return None
    cohort_months = sorted({r["cohort_month"] for r in rows})
    by_key = {(r["cohort_month"], r["months_since_start"]): r for r in rows}
    cells, notes = [], []
    for month in cohort_months:
        row_cells, row_notes = [], []
        for k in range(horizon + 1):
            r = by_key.get((month, k))
            row_cells.append(_as_float(r["logo_retention"]) if r else None)
            row_notes.append(f"{r['active_accounts']}/{r['cohort_accounts']}" if r else "")
        cells.append(row_cells)
        notes.append(row_notes)
    sizes = {r["cohort_month"]: r["cohort_accounts"] for r in rows}
    return {"rows": cohort_months, "cols": list(range(horizon + 1)), "cells": cells, "notes": notes, "sizes": sizes}


def load_funnel(con: duckdb.DuckDBPyConnection, order: dict[str, int]) -> list[tuple[str, float]] | None:
    """Contract starts, each milestone reached within 30 days, all done; `order` breaks ties (seed sort_order)."""
    totals = con.execute(
        f"select sum(onboarding_cohort_accounts), sum(onboarding_completed_accounts) "
        f"from {SCHEMA}.mart_onboarding_cohorts where is_complete"
    ).fetchone()
    if not totals or not totals[0]:
        return None
    steps: list[tuple[str, float]] = [("funnel_started", float(totals[0]))]
    reached = dict(
        con.execute(
            f"select milestone_code, sum(round(reached_within_30d_rate * observed_30d_accounts)) "
            f"from {SCHEMA}.mart_time_to_first_action where reached_within_30d_rate is not null group by 1"
        ).fetchall()
    )
    # Most-reached first, so the bars narrow like a funnel whatever order accounts take the steps in.
    ordered = sorted(reached, key=lambda m: (-(reached[m] or 0), order.get(m, len(order)), m))
    steps += [(f"milestone_{m}", float(reached[m] or 0)) for m in ordered]
    steps.append(("funnel_completed", float(totals[1] or 0)))
    return steps


def load_usage_daily(con: duckdb.DuckDBPyConnection, days: int = 180) -> list[dict[str, Any]]:
    return _rows(
        con,
        f"""
        select report_date, dau, mau from {SCHEMA}.mart_usage_daily
        where report_date > (select max(report_date) from {SCHEMA}.mart_usage_daily) - interval ({days}) day
        order by report_date
        """,
    )


def load_nps(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(
        con,
        f"select fiscal_year, fiscal_quarter, nps, nps_responses from {SCHEMA}.mart_nps_quarterly "
        f"where segment = 'all' order by fiscal_year, fiscal_quarter",
    )


def load_targets(con: duckdb.DuckDBPyConnection, month: dt.date | None) -> dict[str, dict[str, Any]]:
    """KPI key -> target, actual and status of the latest month with a target at or before the report month
    (targets may be set per fiscal year)."""
    if month is None:
        return {}
    rows = _rows(
        con,
        f"""
        select kpi_key, target_value, actual_value, status from {SCHEMA}.mart_kpi_targets
        where month = (select max(month) from {SCHEMA}.mart_kpi_targets where month <= ?)
        """,
        [month],
    )
    return {
        str(r["kpi_key"]): {
            "target": _as_float(r["target_value"]),
            "actual": _as_float(r["actual_value"]),
            "status": r["status"],
        }
        for r in rows
    }


def load_health(con: duckdb.DuckDBPyConnection, weeks: int = 13) -> dict[str, Any] | None:
    """Accounts per band on every seventh day back from the latest scored day."""
    rows = _rows(
        con,
        f"""
        with latest as (select max(score_date) as last_day from {SCHEMA}.mart_health_score_daily)
        select h.score_date as day, h.health_band as band, count(*) as accounts
        from {SCHEMA}.mart_health_score_daily as h, latest
        where h.score_date > latest.last_day - interval ({weeks * 7}) day
          and datediff('day', h.score_date, latest.last_day) % 7 = 0
          and h.health_band is not null
        group by 1, 2 order by 1
        """,
    )
    if not rows:
        return None
    days = sorted({r["day"] for r in rows})
    counts = {b: [0.0] * len(days) for b in BANDS}
    for r in rows:
        counts[r["band"]][days.index(r["day"])] += r["accounts"]
    return {"days": days, "counts": counts}


AT_RISK_WHERE = "is_paying_customer and (health_band = 'red' or open_alerts > 0)"


def load_at_risk(con: duckdb.DuckDBPyConnection, limit: int = 25) -> tuple[list[dict[str, Any]], int]:
    """Paying accounts in the red band or with actionable alerts (customer_360.open_alerts): red first, then
    by ARR, the first `limit` of them; and how many there are in all. Prospects and former customers have no
    revenue to save."""
    rows = _rows(
        con,
        f"""
        select account_id, account_name, owner_csm_user_id, owner_csm_name, health_score, health_band, arr,
            open_alerts
        from {SCHEMA}.customer_360
        where {AT_RISK_WHERE}
        order by health_band = 'red' desc, arr desc nulls last, account_id
        limit {limit}
        """,
    )
    total = con.execute(f"select count(*) from {SCHEMA}.customer_360 where {AT_RISK_WHERE}").fetchone()[0]
    alerts: dict[str, list[dict[str, Any]]] = {}
    for account_id, alert_type, severity in con.execute(
        f"select account_id, alert_type, severity from {SCHEMA}.mart_churn_risk_alerts "
        f"where is_actionable order by account_id, severity = 'critical' desc, alert_type"
    ).fetchall():
        alerts.setdefault(account_id, []).append({"type": alert_type, "severity": severity})
    for row in rows:
        row["arr"] = _as_float(row["arr"])
        row["health_score"] = _as_float(row["health_score"])
        row["alerts"] = alerts.get(row["account_id"], [])
    return rows, int(total)


def _published_at(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("select published_at from main._publication").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def published_at(serving_path: Path) -> str | None:
    """When the serving copy at `serving_path` was published."""
    with serving.connect(serving_path) as con:
        return _published_at(con)


def load_report_data(serving_path: Path, contracts: Contracts) -> ReportData:
    """Everything the pages show; raises ReportContractError naming the mart and column a read would miss."""
    with serving.connect(serving_path) as con:
        from cs_warehouse.report.csm import CSM_READS, load_csm_data

        contracts.check(READS, catalog(con), serving_path.name)
        contracts.check(CSM_READS, catalog(con), serving_path.name)
        empty = sorted(m for m in READS if con.execute(f"select count(*) from {SCHEMA}.{m}").fetchone()[0] == 0)
        monthly = load_monthly(con)
        complete = [r for r in monthly if r["is_complete"]]
        latest = complete[-1]["month"] if complete else None
        at_risk, at_risk_total = load_at_risk(con)
        return ReportData(
            published_at=_published_at(con),
            latest_month=latest,
            monthly=monthly,
            churn_heatmap=load_churn_heatmap(con),
            cohort_heatmap=load_cohort_heatmap(con),
            funnel=load_funnel(con, contracts.milestone_order()),
            usage_daily=load_usage_daily(con),
            nps_quarters=load_nps(con),
            targets=load_targets(con, latest),
            health=load_health(con),
            at_risk=at_risk,
            at_risk_total=at_risk_total,
            empty_marts=empty,
            contracts=contracts,
            csm=load_csm_data(con),
        )

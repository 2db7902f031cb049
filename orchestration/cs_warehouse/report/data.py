"""What the report reads from the serving copy.

The revenue and usage marts are public tables with fixed names (docs/kpis.md "Public tables"). The health,
alert and KPI-target marts (mart_health_score_daily, mart_churn_risk_alerts, mart_kpi_targets, customer_360)
are newer and not in every serving copy yet, so those sections look their table up by name and pick
columns from a short list (the current names first); a section whose mart is missing comes back as
`Missing` and the page says so instead of failing the nightly job.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from cs_warehouse import serving

SCHEMA = "marts"
TIER_ORDER = {"free": 0, "starter": 1, "standard": 2, "enterprise": 3}
MILESTONE_ORDER = ("initial_setup", "first_login", "tutorial", "first_key_action")


@dataclass(frozen=True)
class Missing:
    """A section whose mart is not in the serving copy yet."""

    tables: tuple[str, ...]


@dataclass
class ReportData:
    published_at: str | None
    latest_month: dt.date | None
    monthly: list[dict[str, Any]]
    churn_heatmap: dict[str, Any] | None
    cohort_heatmap: dict[str, Any] | None
    funnel: list[tuple[str, float]] | None
    usage_daily: list[dict[str, Any]]
    nps_quarters: list[dict[str, Any]]
    targets: dict[str, dict[str, Any]] | Missing
    health: dict[str, Any] | Missing
    at_risk: list[dict[str, Any]] | Missing
    missing_tables: list[str] = field(default_factory=list)


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


def find_table(tables: dict[str, set[str]], names: Iterable[str], contains: str, needs: Iterable[str]) -> str | None:
    """The first exact name that exists, else a table whose name contains the word and has the needed columns."""
    for name in names:
        if name in tables:
            return name
    needs = tuple(needs)
    for name in sorted(tables):
        if contains in name and all(any(c in tables[name] for c in group.split("|")) for group in needs):
            return name
    return None


def pick(columns: set[str], *candidates: str) -> str | None:
    return next((c for c in candidates if c in columns), None)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_monthly(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = _rows(con, f"select * from {SCHEMA}.mart_kpi_monthly order by month")
    for row in rows:
        for key, value in list(row.items()):
            if key not in ("month", "is_complete", "fiscal_year", "fiscal_quarter"):
                row[key] = _as_float(value)
    return rows


def load_churn_heatmap(con: duckdb.DuckDBPyConnection, months: int = 12) -> dict[str, Any] | None:
    rows = _rows(
        con,
        f"""
        with recent as (
            select * from {SCHEMA}.mart_churn_by_plan_tenure
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


def load_funnel(con: duckdb.DuckDBPyConnection, tables: dict[str, set[str]]) -> list[tuple[str, float]] | None:
    if "mart_onboarding_cohorts" not in tables:
        return None
    totals = con.execute(
        f"select sum(onboarding_cohort_accounts), sum(onboarding_completed_accounts) "
        f"from {SCHEMA}.mart_onboarding_cohorts where is_complete"
    ).fetchone()
    if not totals or not totals[0]:
        return None
    steps: list[tuple[str, float]] = [("funnel_started", float(totals[0]))]
    if "mart_time_to_first_action" in tables:
        reached = dict(
            con.execute(
                f"select milestone_code, sum(round(reached_within_30d_rate * observed_30d_accounts)) "
                f"from {SCHEMA}.mart_time_to_first_action where reached_within_30d_rate is not null group by 1"
            ).fetchall()
        )
        # Most-reached first, so the bars narrow like a funnel whatever order accounts take the steps in.
        ordered = sorted(
            reached, key=lambda m: (-(reached[m] or 0), MILESTONE_ORDER.index(m) if m in MILESTONE_ORDER else 9)
        )
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


def load_targets(
    con: duckdb.DuckDBPyConnection, tables: dict[str, set[str]], month: dt.date | None
) -> dict[str, dict[str, Any]] | Missing:
    name = find_table(tables, ("mart_kpi_targets", "kpi_targets"), "target", ("kpi_key|kpi", "target_value|target"))
    if name is None:
        return Missing(("kpi_targets",))
    cols = tables[name]
    kpi, target = pick(cols, "kpi_key", "kpi", "metric"), pick(cols, "target_value", "target")
    actual, status = pick(cols, "actual_value", "actual"), pick(cols, "status", "target_status")
    month_col = pick(cols, "month", "period_month", "target_month")
    select = [f"{_q(kpi)} as kpi", f"{_q(target)} as target"]
    select += [f"{_q(actual)} as actual" if actual else "null as actual"]
    select += [f"{_q(status)} as status" if status else "null as status"]
    where = ""
    params: list[Any] = []
    if month_col and month is not None:
        # The latest month with a target at or before the report month: targets may be set quarterly.
        where = (
            f"where {_q(month_col)} = (select max({_q(month_col)}) from {SCHEMA}.{_q(name)} where {_q(month_col)} <= ?)"
        )
        params.append(month)
    rows = _rows(con, f"select {', '.join(select)} from {SCHEMA}.{_q(name)} {where}", params)
    return {
        str(r["kpi"]): {"target": _as_float(r["target"]), "actual": _as_float(r["actual"]), "status": r["status"]}
        for r in rows
    }


def _band_key(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    return text if text in ("red", "yellow", "green") else None


def load_health(
    con: duckdb.DuckDBPyConnection, tables: dict[str, set[str]], weeks: int = 13
) -> dict[str, Any] | Missing:
    name = find_table(
        tables,
        ("mart_health_score_daily", "mart_health_scores", "mart_account_health_daily", "mart_health_daily"),
        "health",
        ("health_band|band", "score_date|as_of_date|report_date|date|day|snapshot_date"),
    )
    if name is None or "backtest" in name:
        return Missing(("health",))
    cols = tables[name]
    band = pick(cols, "health_band", "band")
    day = pick(cols, "score_date", "as_of_date", "report_date", "snapshot_date", "date", "day")
    rows = _rows(
        con,
        f"""
        with days as (
            select distinct cast({_q(day)} as date) as d from {SCHEMA}.{_q(name)}
        ), latest as (select max(d) as last_day from days)
        select cast(h.{_q(day)} as date) as day, h.{_q(band)} as band, count(*) as accounts
        from {SCHEMA}.{_q(name)} as h, latest
        where cast(h.{_q(day)} as date) > latest.last_day - interval ({weeks * 7}) day
          and datediff('day', cast(h.{_q(day)} as date), latest.last_day) % 7 = 0
        group by 1, 2 order by 1
        """,
    )
    days = sorted({r["day"] for r in rows})
    counts = {b: [0.0] * len(days) for b in ("red", "yellow", "green")}
    for r in rows:
        key = _band_key(r["band"])
        if key:
            counts[key][days.index(r["day"])] += r["accounts"]
    return {"table": name, "days": days, "counts": counts}


def load_at_risk(
    con: duckdb.DuckDBPyConnection, tables: dict[str, set[str]], limit: int = 25
) -> list[dict[str, Any]] | Missing:
    c360 = find_table(tables, ("customer_360", "mart_customer_360"), "customer_360", ("account_id",))
    if c360 is None:
        return Missing(("customer_360",))
    cols = tables[c360]
    name = pick(cols, "account_name", "name")
    owner = pick(cols, "owner_csm_name", "csm_name", "owner_csm", "owner_csm_user_id", "owner_csm_id", "csm_user_id")
    score = pick(cols, "health_score", "current_health_score")
    band = pick(cols, "health_band", "current_health_band")
    arr = pick(cols, "arr", "arr_jpy", "current_arr")
    alerts_n = pick(cols, "open_alerts", "open_alert_count", "open_alerts_count", "open_alert_types")

    def col(c: str | None, alias: str) -> str:
        return f"{_q(c)} as {alias}" if c else f"null as {alias}"

    alert_filter = f" or coalesce(try_cast({_q(alerts_n)} as integer), 0) > 0" if alerts_n else ""
    band_filter = f"lower(cast({_q(band)} as varchar)) = 'red'" if band else "false"
    # Prospects and former customers have no revenue to save; the list is for accounts still paying.
    paying = pick(cols, "is_paying_customer", "is_paying")
    paying_filter = f"{_q(paying)} and " if paying else ""
    rows = _rows(
        con,
        f"""
        select account_id, {col(name, "account_name")}, {col(owner, "owner_csm")}, {col(score, "health_score")},
               {col(band, "health_band")}, {col(arr, "arr")}, {col(alerts_n, "open_alerts")}
        from {SCHEMA}.{_q(c360)}
        where {paying_filter}({band_filter}{alert_filter})
        order by {band_filter} desc, {_q(arr) if arr else "account_id"} desc nulls last
        limit {limit}
        """,
    )
    alerts = _load_open_alerts(con, tables)
    for row in rows:
        row["arr"] = _as_float(row["arr"])
        row["health_score"] = _as_float(row["health_score"])
        row["alerts"] = alerts.get(row["account_id"], [])
    return rows


def _load_open_alerts(con: duckdb.DuckDBPyConnection, tables: dict[str, set[str]]) -> dict[str, list[dict[str, Any]]]:
    name = find_table(
        tables,
        ("mart_churn_risk_alerts", "mart_alerts", "fct_churn_risk_alerts", "churn_risk_alerts"),
        "alert",
        ("account_id", "alert_type|type"),
    )
    if name is None:
        return {}
    cols = tables[name]
    kind, severity = pick(cols, "alert_type", "type"), pick(cols, "severity")
    status = pick(cols, "status", "alert_status")
    where = f"where lower(cast({_q(status)} as varchar)) = 'open'" if status else ""
    sev = f"{_q(severity)}" if severity else "null"
    out: dict[str, list[dict[str, Any]]] = {}
    for account_id, alert_type, level in con.execute(
        f"select account_id, {_q(kind)}, {sev} from {SCHEMA}.{_q(name)} {where} order by 1, 2"
    ).fetchall():
        out.setdefault(account_id, []).append({"type": alert_type, "severity": level})
    return out


def _published_at(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = con.execute("select published_at from main._publication").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def load_report_data(serving_path: Path) -> ReportData:
    with serving.connect(serving_path) as con:
        tables = catalog(con)
        monthly = load_monthly(con) if "mart_kpi_monthly" in tables else []
        complete = [r for r in monthly if r["is_complete"]]
        latest = complete[-1]["month"] if complete else None
        data = ReportData(
            published_at=_published_at(con),
            latest_month=latest,
            monthly=monthly,
            churn_heatmap=load_churn_heatmap(con) if "mart_churn_by_plan_tenure" in tables else None,
            cohort_heatmap=load_cohort_heatmap(con) if "mart_cohort_retention" in tables else None,
            funnel=load_funnel(con, tables),
            usage_daily=load_usage_daily(con) if "mart_usage_daily" in tables else [],
            nps_quarters=load_nps(con) if "mart_nps_quarterly" in tables else [],
            targets=load_targets(con, tables, latest),
            health=load_health(con, tables),
            at_risk=load_at_risk(con, tables),
        )
    data.missing_tables = sorted(
        {t for part in (data.targets, data.health, data.at_risk) if isinstance(part, Missing) for t in part.tables}
    )
    return data


def summary_json(data: ReportData) -> str:
    return json.dumps(
        {"latest_month": data.latest_month.isoformat() if data.latest_month else None, "missing": data.missing_tables},
        ensure_ascii=False,
    )

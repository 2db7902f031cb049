"""The CSM pages ("my accounts", one per CSM) and the team page of the nightly report.

Read from the serving copy by the columns `CSM_READS` names (checked against the marts' contracts like the main
report's): a CSM's open actionable alerts with their evidence, accounts by health band, touches still due in
the running month, renewals within 90 days; the team's touch coverage by tier, alert response and workload per
CSM. Without an activity log (a source that has none: actual touches, coverage and response are null in the
marts) those sections say "no data", never zero.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from cs_warehouse.report.data import SCHEMA, _as_float, _rows

CSM_READS: dict[str, tuple[str, ...]] = {
    "customer_360": (
        "account_id", "account_name", "owner_csm_user_id", "owner_csm_name", "touch_tier", "health_score",
        "health_score_date", "health_band", "arr", "is_paying_customer", "next_renewal_date", "open_alerts",
    ),
    "mart_churn_risk_alerts": (
        "alert_id", "account_id", "alert_type", "severity", "first_detected_date", "evidence_metric",
        "evidence_value", "evidence_compared_to", "evidence_threshold", "owner_csm_user_id", "owner_csm_name",
        "is_actionable", "is_within_daily_cap", "priority_rank", "arr_at_risk",
    ),
    "mart_touch_coverage": (
        "account_id", "month", "touch_tier", "owner_csm_user_id", "prescribed_touches", "actual_touches",
        "is_covered", "is_complete",
    ),
    "mart_touch_coverage_monthly": (
        "month", "touch_tier", "accounts", "covered_accounts", "touch_coverage", "prescribed_touches",
        "actual_touches", "is_complete",
    ),
    "mart_alert_followup": ("alert_id", "first_detected_date", "response_hours", "is_acted_within_sla"),
    "mart_csm_workload": (
        "csm_user_id", "csm_name", "month", "is_complete", "accounts", "high_touch_accounts", "low_touch_accounts",
        "tech_touch_accounts", "arr_at_start", "activities_completed", "alerts_raised", "alerts_acted_within_sla",
        "alert_action_rate", "median_response_hours", "touch_coverage",
    ),
}  # fmt: skip

# How many rows a list on a CSM page shows; the count of all of them stands beside it.
LIST_LIMIT = 25
RENEWAL_DAYS = 90
TEAM_MONTHS = 6
TOUCH_TIERS = ("high_touch", "low_touch", "tech_touch")


def page_id(user_id: str) -> str:
    """A file name for a CSM's page: the CRM user id when it is safe in a path, else a readable part and a hash."""
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", user_id):
        return user_id
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", user_id)[:40].strip("_")
    return f"{readable}-{hashlib.sha256(user_id.encode('utf-8')).hexdigest()[:10]}"


@dataclass
class CsmPage:
    user_id: str
    name: str | None
    page_id: str
    alerts: list[dict[str, Any]]
    alerts_total: int
    bands: dict[str, int]  # health band (or "none") -> paying accounts
    accounts: list[dict[str, Any]]
    accounts_total: int
    touches_due: list[dict[str, Any]]
    touches_due_total: int
    touch_accounts: int  # accounts with a prescribed cadence this month
    renewals: list[dict[str, Any]]
    renewals_total: int


@dataclass
class CsmData:
    as_of: dt.date | None  # the last scored day (renewal windows count from it)
    touch_month: dt.date | None  # the running month of mart_touch_coverage
    has_activity_log: bool  # the source has an activity log (actual touches are not all null)
    csms: list[CsmPage]
    coverage: list[dict[str, Any]]  # tier-month rows of the last complete months
    response: list[dict[str, Any]]  # month -> episodes, acted within SLA, median response hours
    workload: list[dict[str, Any]]  # CSM rows of the latest complete month
    workload_month: dt.date | None


# Decimal columns of the lists, shown as floats.
DECIMAL_COLUMNS = frozenset(
    {"arr", "arr_at_risk", "health_score", "evidence_value", "evidence_compared_to", "evidence_threshold"}
)


def _by_owner(
    con: duckdb.DuckDBPyConnection,
    owner: str,
    columns: str,
    source: str,
    order: str,
    params: Sequence[Any] = (),
) -> dict[str, tuple[list[dict[str, Any]], int]]:
    """Owner -> (the first LIST_LIMIT rows by `order`, the count of all of them), for every CSM in one query.
    `owner` is the owner column, `columns` the list's columns, `source` its `from ... where ...`."""
    rows = _rows(
        con,
        f"""select {columns}, {owner} as _owner, count(*) over (partition by {owner}) as _total,
            row_number() over (partition by {owner} order by {order}) as _rank
        {source}
        qualify _rank <= {LIST_LIMIT}
        order by _owner, _rank""",
        params,
    )
    out: dict[str, tuple[list[dict[str, Any]], int]] = {}
    for row in rows:
        key, total = str(row.pop("_owner")), int(row.pop("_total"))
        del row["_rank"]
        out.setdefault(key, ([], total))[0].append(row)
    return out


def _count_by_owner(
    con: duckdb.DuckDBPyConnection, owner: str, source: str, params: Sequence[Any] = ()
) -> dict[str, int]:
    return {
        str(key): int(n)
        for key, n in con.execute(f"select {owner}, count(*) {source} group by 1", list(params)).fetchall()
    }


def _csm_pages(con: duckdb.DuckDBPyConnection, owners: list[tuple[str, str | None]], data: CsmData) -> list[CsmPage]:
    """Every CSM's page from one query per section (not one per CSM: a large team has hundreds of CSMs)."""
    alerts = _by_owner(
        con,
        "a.owner_csm_user_id",
        """a.alert_id, a.account_id, c.account_name, a.alert_type, a.severity, a.first_detected_date,
        a.evidence_metric, a.evidence_value, a.evidence_compared_to, a.evidence_threshold, a.is_within_daily_cap,
        a.arr_at_risk""",
        f"""from {SCHEMA}.mart_churn_risk_alerts as a
        left join {SCHEMA}.customer_360 as c using (account_id)
        where a.is_actionable""",
        "a.priority_rank nulls last, a.arr_at_risk desc nulls last, a.alert_id",
    )
    mine = f"from {SCHEMA}.customer_360 where is_paying_customer"
    bands: dict[str, dict[str, int]] = {}
    for key, band, n in con.execute(
        f"select owner_csm_user_id, coalesce(health_band, 'none'), count(*) {mine} group by 1, 2"
    ).fetchall():
        bands.setdefault(str(key), {})[str(band)] = int(n)
    accounts = _by_owner(
        con,
        "owner_csm_user_id",
        "account_id, account_name, touch_tier, health_score, health_band, arr, open_alerts",
        mine,
        "case health_band when 'red' then 0 when 'yellow' then 1 when 'green' then 2 else 3 end, "
        "arr desc nulls last, account_id",
    )
    due_from = f"""
        from {SCHEMA}.mart_touch_coverage as t
        left join {SCHEMA}.customer_360 as c using (account_id)
        where t.month = ? and t.prescribed_touches > 0"""
    touch_accounts = _count_by_owner(con, "t.owner_csm_user_id", due_from, [data.touch_month])
    touches_due = _by_owner(
        con,
        "t.owner_csm_user_id",
        "t.account_id, c.account_name, t.touch_tier, t.prescribed_touches, t.actual_touches",
        f"{due_from} and not coalesce(t.is_covered, false)",
        "t.prescribed_touches - coalesce(t.actual_touches, 0) desc, c.arr desc nulls last, t.account_id",
        [data.touch_month],
    )
    renewals = (
        _by_owner(
            con,
            "owner_csm_user_id",
            "account_id, account_name, next_renewal_date, health_band, arr",
            f"{mine} and next_renewal_date between ? and ? + interval ({RENEWAL_DAYS}) day",
            "next_renewal_date, account_id",
            [data.as_of, data.as_of],
        )
        if data.as_of
        else {}
    )
    pages = []
    for user_id, name in owners:
        none: tuple[list[dict[str, Any]], int] = ([], 0)
        page_alerts, page_accounts = alerts.get(user_id, none), accounts.get(user_id, none)
        page_due, page_renewals = touches_due.get(user_id, none), renewals.get(user_id, none)
        for row in (*page_alerts[0], *page_accounts[0], *page_renewals[0]):
            for key in DECIMAL_COLUMNS & row.keys():
                row[key] = _as_float(row[key])
        page_bands = bands.get(user_id, {})
        pages.append(
            CsmPage(
                user_id=user_id,
                name=name,
                page_id=page_id(user_id),
                alerts=page_alerts[0],
                alerts_total=page_alerts[1],
                bands=page_bands,
                accounts=page_accounts[0],
                accounts_total=sum(page_bands.values()),
                touches_due=page_due[0],
                touches_due_total=page_due[1],
                touch_accounts=touch_accounts.get(user_id, 0),
                renewals=page_renewals[0],
                renewals_total=page_renewals[1],
            )
        )
    return pages


def load_csm_data(con: duckdb.DuckDBPyConnection) -> CsmData:
    """The CSM and team pages' rows; the CSMs are the owners of customer_360's accounts."""
    as_of = con.execute(f"select max(health_score_date) from {SCHEMA}.customer_360").fetchone()[0]
    touch_month = con.execute(f"select max(month) from {SCHEMA}.mart_touch_coverage").fetchone()[0]
    has_log = con.execute(
        f"select count(*) > 0 from {SCHEMA}.mart_touch_coverage where actual_touches is not null"
    ).fetchone()[0]
    coverage = _rows(
        con,
        f"""select month, touch_tier, accounts, covered_accounts, touch_coverage, prescribed_touches, actual_touches
        from {SCHEMA}.mart_touch_coverage_monthly
        where is_complete and month in (
            select distinct month from {SCHEMA}.mart_touch_coverage_monthly where is_complete
            order by month desc limit {TEAM_MONTHS})
        order by month, touch_tier""",
    )
    response = _rows(
        con,
        f"""select date_trunc('month', first_detected_date)::date as month, count(*) as episodes,
                count(is_acted_within_sla) as decided, count(*) filter (where is_acted_within_sla) as acted,
                median(response_hours) as median_hours
        from {SCHEMA}.mart_alert_followup group by 1 order by 1 desc limit {TEAM_MONTHS}""",
    )
    response.reverse()
    workload_month = con.execute(f"select max(month) from {SCHEMA}.mart_csm_workload where is_complete").fetchone()[0]
    workload = _rows(
        con,
        f"""select csm_user_id, csm_name, accounts, high_touch_accounts, low_touch_accounts, tech_touch_accounts,
                arr_at_start, activities_completed, alerts_raised, alerts_acted_within_sla, alert_action_rate,
                median_response_hours, touch_coverage
        from {SCHEMA}.mart_csm_workload where month = ? order by arr_at_start desc nulls last, csm_user_id""",
        [workload_month],
    )
    for row in workload:
        row["arr_at_start"] = _as_float(row["arr_at_start"])
    data = CsmData(as_of, touch_month, bool(has_log), [], coverage, response, workload, workload_month)
    owners = con.execute(
        f"""select owner_csm_user_id, max(owner_csm_name) from {SCHEMA}.customer_360
        where owner_csm_user_id is not null group by 1 order by 2 nulls last, 1"""
    ).fetchall()
    data.csms = _csm_pages(con, [(str(user_id), name) for user_id, name in owners], data)
    return data

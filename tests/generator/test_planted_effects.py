"""The planted effects must be visible from the files alone, the way the KPIs will look for them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.tooling.generator import generate

END = date(2025, 12, 31)


@pytest.fixture(scope="module")
def medium_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("medium")
    generate(out, accounts=300, months=12, seed=42, end_date=END, events_per_user_day=0.3)
    return out


def test_missed_onboarding_churns_more(medium_dir: Path) -> None:
    con = duckdb.connect()
    d = str(medium_dir)
    rates = con.execute(f"""
        with starts as (
            select AccountId, min(StartDate) as first_start from read_csv('{d}/contracts.csv', all_varchar=true)
            group by 1 having min(StartDate) <= '{END - timedelta(days=30)}'),
        churned as (
            select distinct AccountId from read_csv('{d}/contracts.csv', all_varchar=true)
            where Status in ('cancelled', 'pending_cancellation', 'expired')),
        milestones as (
            select groupId, event, min(timezone('Asia/Tokyo', "timestamp")::date) as first_day
            from read_parquet('{d}/product_events/*/*.parquet')
            where event in ('Tutorial Finished', 'Report Created') group by 1, 2),
        onboarding as (
            select s.AccountId,
                   count(m.event) filter (where m.first_day < s.first_start::date + 30) = 2 as onboarded
            from starts s left join milestones m on m.groupId = s.AccountId group by 1)
        select onboarded, count(*) as n, avg((c.AccountId is not null)::int) as churn_share
        from onboarding o left join churned c using (AccountId) group by 1 order by 1
    """).fetchall()
    result = {onboarded: (n, share) for onboarded, n, share in rates}
    missed, done = result[False], result[True]
    assert missed[0] >= 30 and done[0] >= 100
    assert missed[1] > 1.8 * done[1], result


def test_annual_contracts_churn_less(medium_dir: Path) -> None:
    con = duckdb.connect()
    rows = con.execute(f"""
        select BillingPeriod__c, avg((Status in ('cancelled', 'pending_cancellation', 'expired'))::int)
        from read_csv('{medium_dir}/contracts.csv', all_varchar=true) where PreviousContractId__c is null
        group by 1
    """).fetchall()
    share = dict(rows)
    assert share["monthly"] > 1.5 * share["annual"], share


def test_activities_follow_one_tier_a_month_and_the_account_owner(medium_dir: Path) -> None:
    """QBRs are high touch, webinars low touch, in-app messages tech touch: an account-month never mixes them.
    Every activity is owned by the CSM assigned to the account on its day (the assignment history)."""
    con = duckdb.connect()
    d = str(medium_dir)
    acts = f"read_csv('{d}/activities.csv', all_varchar=true)"
    mixed = con.execute(f"""
        select AccountId, substr(ActivityDateTime, 1, 7) as month, count(distinct Type) as tier_types
        from {acts} where Type in ('qbr', 'webinar', 'in_app_message') group by 1, 2 having count(distinct Type) > 1
    """).fetchall()
    assert mixed == []
    counts = dict(con.execute(f"select Type, count(*) from {acts} group by 1").fetchall())
    assert set(counts) == {"meeting", "call", "email", "webinar", "qbr", "onboarding_session", "in_app_message"}
    wrong_owner = con.execute(f"""
        select count(*) from {acts} as a
        join read_csv('{d}/account_csm_assignments.csv', all_varchar=true) as s
            on s.AccountId = a.AccountId
            and s.StartDate <= least(substr(a.ActivityDateTime, 1, 10), '{END}')
            and (s.EndDate = '' or s.EndDate is null or least(substr(a.ActivityDateTime, 1, 10), '{END}') < s.EndDate)
        where s.UserId <> a.OwnerId
    """).fetchone()[0]
    owned = con.execute(f"select count(*) from {acts}").fetchone()[0]
    assert owned > 1000 and wrong_owner == 0

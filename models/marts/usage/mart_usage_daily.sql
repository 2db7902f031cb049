-- DAU / WAU / MAU for the company per reporting-zone day, in users and in active accounts.

with

accounts_daily as (
    select * from {{ ref('int_usage_active_users_daily') }}
)

select
    report_date,
    cast(sum(dau) as integer) as dau,
    cast(sum(wau) as integer) as wau,
    cast(sum(mau) as integer) as mau,
    cast(sum(case when dau > 0 then 1 else 0 end) as integer) as dau_accounts,
    cast(sum(case when wau > 0 then 1 else 0 end) as integer) as wau_accounts,
    cast(count(*) as integer) as mau_accounts,
    {{ safe_ratio('sum(dau)', 'sum(mau)') }} as dau_mau_ratio
from accounts_daily
group by report_date

-- DAU / WAU / MAU per account and day (KPI_SPEC.md "dau, wau, mau"): distinct users with an active event
-- on the day and in the trailing 7 and 30 reporting-zone days (the day itself included). Each user-day is
-- spread over the 30 days whose windows contain it, then counted per window length.

with

user_days as (
    select
        user_id,
        account_id,
        activity_date
    from {{ ref('int_usage_user_daily') }}
    where activity_date <= {{ as_of_date() }}
),

offsets as (
    select cast(generated_number - 1 as integer) as day_offset
    from ({{ dbt.generate_series(30) }}) as series
),

spread as (
    select
        user_days.user_id,
        user_days.account_id,
        cast({{ dbt.dateadd('day', 'offsets.day_offset', 'user_days.activity_date') }} as date) as report_date,
        offsets.day_offset
    from user_days
    cross join offsets
)

select
    account_id,
    report_date,
    count(distinct case when day_offset = 0 then user_id end) as dau,
    count(distinct case when day_offset < 7 then user_id end) as wau,
    count(distinct user_id) as mau
from spread
where report_date <= {{ as_of_date() }}
group by account_id, report_date

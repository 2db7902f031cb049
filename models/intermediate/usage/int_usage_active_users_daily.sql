-- DAU / WAU / MAU per account and day (docs/kpis.md "dau, wau, mau"): distinct users with an active event
-- on the day and in the trailing 7 and 30 reporting-zone days (the day itself included). Each user-day is
-- spread over the 30 days whose windows contain it, then counted per window length.
--
-- Incremental, and equal to a full refresh: a run recomputes every account's report days from the earliest
-- day that can have changed, i.e. the earliest user-day int_usage_user_daily rewrote since this table's
-- latest load (late events and backfilled days included, however old), or the first day not reported yet. Those
-- days need the 29 days of user-days before them; no earlier report day can change. A table built before
-- _last_session_load_id existed gets the column empty (append_new_columns), so its next run
-- recomputes every day.

{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'report_date'],
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('report_date'),
        on_schema_change='append_new_columns',
    )
}}

with

all_user_days as (
    select
        user_id,
        account_id,
        activity_date,
        _last_session_load_id
    from {{ ref('int_usage_user_daily') }}
    where activity_date <= {{ as_of_date() }}
),

{% if is_incremental() %}

previous_run as (
    select
        max(_last_session_load_id) as last_load_id,
        max(report_date) as last_report_date
    from {{ this }}
),

changed as (
    -- user-days rewritten by loads since the last run
    select min(all_user_days.activity_date) as first_changed_date
    from all_user_days
    cross join previous_run
    where
        previous_run.last_load_id is null
        or all_user_days._last_session_load_id > previous_run.last_load_id
),

bounds as (
    select
        case
            when previous_run.last_report_date is null then cast('1900-01-01' as date)
            when changed.first_changed_date is null
                then cast({{ dbt.dateadd('day', 1, 'previous_run.last_report_date') }} as date)
            when changed.first_changed_date <= previous_run.last_report_date then changed.first_changed_date
            else cast({{ dbt.dateadd('day', 1, 'previous_run.last_report_date') }} as date)
        end as first_report_date
    from previous_run
    cross join changed
),

{% else %}

    bounds as (
        select cast('1900-01-01' as date) as first_report_date
    ),

{% endif %}

user_days as (
    -- the first report day's 30-day window starts 29 days before it
    select all_user_days.*
    from all_user_days
    cross join bounds
    where all_user_days.activity_date >= cast({{ dbt.dateadd('day', -29, 'bounds.first_report_date') }} as date)
),

user_day_gaps as (
    select
        *,
        {{ dbt.datediff(
            'lag(activity_date) over (partition by account_id, user_id order by activity_date)', 'activity_date', 'day'
        ) }} as days_since_previous
    from user_days
),

offsets as (
    select cast(generated_number - 1 as integer) as day_offset
    from ({{ dbt.generate_series(30) }}) as series
),

spread as (
    -- A user-day counts the user on the report days of its windows that the user's previous active day (same
    -- account) did not reach: each (user, report day) is counted once, by the first active day whose window
    -- holds it, so plain counts replace distinct counts over every day of every window.
    select
        user_days.account_id,
        user_days._last_session_load_id,
        cast({{ dbt.dateadd('day', 'offsets.day_offset', 'user_days.activity_date') }} as date) as report_date,
        case when offsets.day_offset = 0 then 1 else 0 end as counts_in_dau,
        case
            when offsets.day_offset < 7 and (
                user_days.days_since_previous is null or offsets.day_offset >= 7 - user_days.days_since_previous
            ) then 1
            else 0
        end as counts_in_wau,
        case
            when
                user_days.days_since_previous is null or offsets.day_offset >= 30 - user_days.days_since_previous
                then 1
            else 0
        end as counts_in_mau
    from user_day_gaps as user_days
    cross join offsets
    where
        user_days.days_since_previous is null
        or offsets.day_offset >= 30 - user_days.days_since_previous
        or offsets.day_offset < 7 and offsets.day_offset >= 7 - user_days.days_since_previous
        or offsets.day_offset = 0
)

select
    spread.account_id,
    spread.report_date,
    sum(spread.counts_in_dau) as dau,
    sum(spread.counts_in_wau) as wau,
    sum(spread.counts_in_mau) as mau,
    -- the latest load behind these counts: the next run's watermark
    max(spread._last_session_load_id) as _last_session_load_id
from spread
cross join bounds
where
    spread.report_date <= {{ as_of_date() }}
    and spread.report_date >= bounds.first_report_date
group by spread.account_id, spread.report_date

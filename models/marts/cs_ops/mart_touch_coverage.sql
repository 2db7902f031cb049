-- タッチ実施率 (docs/kpis.md "touch_coverage"), one row per account-month of mart_touch_tiers: the touches its
-- tier prescribes (seed touch_model_policy), the completed activities that count toward them, and whether
-- every requirement is met - activities of the type in the calendar month (period month) or in the month and
-- the two before it (period quarter). Without an activity log the actual and covered columns are null.

with

tiers as (
    select
        account_id,
        month,
        touch_tier
    from {{ ref('mart_touch_tiers') }}
),

months as (
    select * from {{ ref('int_months') }}
),

policy as (
    select * from {{ ref('touch_model_policy') }}
),

activity_log as (
    select count(*) as activities from {{ ref('stg_crm__activities') }}
),

completed as (
    select
        account_id,
        activity_type,
        activity_date
    from {{ ref('stg_crm__activities') }}
    where is_completed
),

owners as (
    select * from {{ ref('int_csm_owner_periods') }}
),

requirements as (
    select
        tiers.account_id,
        tiers.month,
        policy.activity_type,
        policy.min_count,
        case
            when policy.period = 'quarter' then cast({{ dbt.dateadd('month', -2, 'tiers.month') }} as date)
            else tiers.month
        end as window_start_date,
        months.month_end_date as window_end_date
    from tiers
    inner join policy on tiers.touch_tier = policy.touch_tier
    inner join months on tiers.month = months.month_start_date
),

counted as (
    select
        requirements.account_id,
        requirements.month,
        requirements.activity_type,
        requirements.min_count,
        count(completed.activity_type) as actual_count
    from requirements
    left join completed
        on
            requirements.account_id = completed.account_id
            and requirements.activity_type = completed.activity_type
            and completed.activity_date between requirements.window_start_date and requirements.window_end_date
    group by requirements.account_id, requirements.month, requirements.activity_type, requirements.min_count
),

per_account as (
    select
        account_id,
        month,
        count(*) as requirements,
        sum(min_count) as prescribed_touches,
        sum(actual_count) as actual_touches,
        sum(case when actual_count >= min_count then 1 else 0 end) as requirements_met
    from counted
    group by account_id, month
),

month_activities as (
    select
        completed.account_id,
        cast({{ dbt.date_trunc('month', 'completed.activity_date') }} as date) as month,
        count(*) as completed_activities
    from completed
    group by completed.account_id, cast({{ dbt.date_trunc('month', 'completed.activity_date') }} as date)
)

select
    tiers.account_id,
    tiers.month,
    months.fiscal_year,
    months.fiscal_quarter,
    tiers.touch_tier,
    owners.csm_user_id as owner_csm_user_id,
    cast(coalesce(per_account.requirements, 0) as integer) as requirements,
    cast(coalesce(per_account.prescribed_touches, 0) as integer) as prescribed_touches,
    case when activity_log.activities > 0 then cast(coalesce(per_account.actual_touches, 0) as integer) end
        as actual_touches,
    case
        when activity_log.activities > 0 then cast(coalesce(per_account.requirements_met, 0) as integer)
    end as requirements_met,
    case
        when activity_log.activities > 0 then cast(coalesce(month_activities.completed_activities, 0) as integer)
    end as completed_activities,
    case
        when activity_log.activities > 0
            then coalesce(per_account.requirements_met, 0) = coalesce(per_account.requirements, 0)
    end as is_covered,
    months.is_complete
from tiers
cross join activity_log
inner join months on tiers.month = months.month_start_date
left join per_account on tiers.account_id = per_account.account_id and tiers.month = per_account.month
left join month_activities on tiers.account_id = month_activities.account_id and tiers.month = month_activities.month
left join owners
    on
        tiers.account_id = owners.account_id
        and {{ valid_on('owners', 'tiers.month', open_start=true) }}

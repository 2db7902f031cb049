-- Lifecycle component of account health, per account-day with an active contract item: onboarding status on
-- the day (completed when every required milestone was reached within onboarding_window_days, on or before
-- the day; missed once the window is over without that; in_progress; null for accounts that started before
-- the event history, which are not measurable) and the next fixed-term renewal (the day after the paid-through
-- date of a term of renewal_min_term_months or more that covers the day). Incremental by day (macro
-- health_recompute_bounds).

{{
    config(
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

with

bounds as (
    {{ health_recompute_bounds(is_incremental()) }}
),

active_days as (
    {{ health_active_days() }}
),

fixed_terms as (
    select
        account_id,
        start_date,
        paid_through_date,
        cast({{ dbt.dateadd('day', 1, 'paid_through_date') }} as date) as renewal_date
    from {{ ref('stg_crm__contracts') }}
    where
        term_months >= {{ var('renewal_min_term_months') }}
        and paid_through_date is not null
),

renewal_days as (
    select
        active_days.account_id,
        active_days.score_date,
        min(fixed_terms.renewal_date) as next_renewal_date
    from active_days
    inner join fixed_terms
        on
            active_days.account_id = fixed_terms.account_id
            and active_days.score_date between fixed_terms.start_date and fixed_terms.paid_through_date
    group by active_days.account_id, active_days.score_date
),

onboarding as (
    select
        account_id,
        contract_start_date,
        cast({{ dbt.dateadd('day', var('onboarding_window_days'), 'contract_start_date') }} as date)
            as window_end_date,
        -- the day the last required milestone was reached, when all were reached inside the window
        case
            when
                sum(case when is_required and days_to_reach < {{ var('onboarding_window_days') }} then 1 else 0 end)
                = sum(case when is_required then 1 else 0 end)
                then cast({{ dbt.dateadd(
                    'day', 'max(case when is_required then days_to_reach end)', 'contract_start_date'
                ) }} as date)
        end as completed_date
    from {{ ref('int_usage_account_milestones') }}
    group by account_id, contract_start_date
)

select
    active_days.account_id,
    active_days.score_date,
    case
        when onboarding.account_id is null or active_days.score_date < onboarding.contract_start_date then null
        when onboarding.completed_date <= active_days.score_date then 'completed'
        when active_days.score_date >= onboarding.window_end_date then 'missed'
        else 'in_progress'
    end as onboarding_status,
    renewal_days.next_renewal_date,
    {{ dbt.datediff('active_days.score_date', 'renewal_days.next_renewal_date', 'day') }} as days_to_renewal,  -- noqa: LT05
    bounds.usage_load_id as _usage_load_id
from active_days
cross join bounds
left join onboarding on active_days.account_id = onboarding.account_id
left join renewal_days
    on
        active_days.account_id = renewal_days.account_id
        and active_days.score_date = renewal_days.score_date

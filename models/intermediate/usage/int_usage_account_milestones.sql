-- One row per account x onboarding milestone (of the milestone version in force at the account's first
-- contract start): when the account first reached it and after how many days. Never reached = null days
-- (censored at observed_days), never zero. Accounts that started before the product event history are
-- left out: their milestones happened where we cannot see them.

with

contract_starts as (
    select
        account_id,
        min(start_date) as contract_start_date
    from {{ ref('stg_crm__contracts') }}
    group by account_id
),

firsts as (
    -- the first day of each user's events by name, not the event history (int_usage_user_event_firsts)
    select
        account_id,
        event_name,
        first_activity_date
    from {{ ref('int_usage_user_event_firsts') }}
),

history_start as (
    select
        min(first_activity_date) as first_event_date,
        {{ as_of_date() }} as as_of_date
    from firsts
),

version_ranges as (
    select * from {{ ref('int_usage_milestone_versions') }}
),

accounts as (
    select
        contract_starts.account_id,
        contract_starts.contract_start_date,
        version_ranges.milestone_version,
        {{ dbt.datediff('contract_starts.contract_start_date', 'history_start.as_of_date', 'day') }} as observed_days  -- noqa: LT05
    from contract_starts
    cross join history_start
    inner join version_ranges
        on
            {{ valid_on('version_ranges', 'contract_starts.contract_start_date') }}
    where
        contract_starts.contract_start_date >= history_start.first_event_date
        and contract_starts.contract_start_date <= {{ as_of_date() }}
),

first_events as (
    -- the account's first day is the earliest of its users' first days; one after the as-of day means none
    -- by then
    select
        account_id,
        event_name,
        min(first_activity_date) as first_date
    from firsts
    where first_activity_date <= {{ as_of_date() }}
    group by account_id, event_name
),

account_milestones as (
    select
        accounts.account_id,
        accounts.contract_start_date,
        accounts.milestone_version,
        accounts.observed_days,
        milestones.milestone_code,
        milestones.is_required,
        milestones.sort_order,
        first_events.first_date as reached_date
    from accounts
    inner join {{ ref('onboarding_milestones') }} as milestones
        on accounts.milestone_version = milestones.milestone_version
    left join first_events
        on
            accounts.account_id = first_events.account_id
            and milestones.event_name = first_events.event_name
)

select
    account_id,
    contract_start_date,
    cast({{ dbt.date_trunc('month', 'contract_start_date') }} as date) as cohort_month,
    milestone_version,
    milestone_code,
    is_required,
    sort_order,
    observed_days,
    reached_date,
    -- reached before the contract started (e.g. during a trial) counts as day 0
    case
        when reached_date is null then null
        when reached_date < contract_start_date then 0
        else {{ dbt.datediff('contract_start_date', 'reached_date', 'day') }}
    end as days_to_reach
from account_milestones

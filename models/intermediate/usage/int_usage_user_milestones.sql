-- One row per product user x onboarding milestone (of the milestone version in force on the user's
-- registration day): when the user first reached it and after how many days (docs/kpis.md
-- "time_to_first_action", user grain). Registration day = registered_at's day in the reporting zone, the
-- same calendar the event days use. Never reached = null days (censored at observed_days), never zero.
-- Users registered before the product event history begins are left out: their first actions happened
-- where we cannot see them. A deactivated user stays observed until the as-of day (deactivation is an
-- outcome, not a loss of sight).

with

users as (
    select
        user_id,
        account_id,
        user_role,
        cast({{ to_reporting_time('registered_at') }} as date) as registration_date
    from {{ ref('stg_product__users') }}
),

milestones as (
    select * from {{ ref('onboarding_milestones') }}
),

milestone_events as (
    select distinct event_name
    from milestones
),

firsts as (
    -- the first day of each user's events by name, not the event history (int_usage_user_event_firsts)
    select
        user_id,
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

observed_users as (
    select
        users.user_id,
        users.account_id,
        users.user_role,
        users.registration_date,
        version_ranges.milestone_version,
        {{ dbt.datediff('users.registration_date', 'history_start.as_of_date', 'day') }} as observed_days  -- noqa: LT05
    from users
    cross join history_start
    inner join version_ranges
        on
            {{ valid_on('version_ranges', 'users.registration_date') }}
    where
        users.registration_date >= history_start.first_event_date
        and users.registration_date <= history_start.as_of_date
),

first_events as (
    -- only the milestone events matter here; a user's events under several accounts have a row per account.
    -- A first day after the as-of day means no such event by then.
    select
        firsts.user_id,
        firsts.event_name,
        min(firsts.first_activity_date) as first_date
    from firsts
    inner join milestone_events on firsts.event_name = milestone_events.event_name
    where firsts.first_activity_date <= {{ as_of_date() }}
    group by firsts.user_id, firsts.event_name
),

user_milestones as (
    select
        observed_users.user_id,
        observed_users.account_id,
        observed_users.user_role,
        observed_users.registration_date,
        observed_users.milestone_version,
        observed_users.observed_days,
        milestones.milestone_code,
        milestones.is_required,
        milestones.sort_order,
        first_events.first_date as reached_date
    from observed_users
    inner join milestones
        on observed_users.milestone_version = milestones.milestone_version
    left join first_events
        on
            observed_users.user_id = first_events.user_id
            and milestones.event_name = first_events.event_name
)

select
    user_id,
    account_id,
    user_role,
    registration_date,
    cast({{ dbt.date_trunc('month', 'registration_date') }} as date) as cohort_month,
    milestone_version,
    milestone_code,
    is_required,
    sort_order,
    observed_days,
    reached_date,
    reached_date is not null as is_reached,
    -- an event dated before the registration day counts as day 0, as at the account grain
    case
        when reached_date is null then null
        when reached_date < registration_date then 0
        else {{ dbt.datediff('registration_date', 'reached_date', 'day') }}
    end as days_to_reach
from user_milestones

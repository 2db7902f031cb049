-- Support component of account health, per account-day with an active contract item: tickets opened in the
-- last health_support_window_days days (a rows frame over the gap-free spine int_health_account_days), and
-- the urgent tickets still open at the end of the day that were opened more than
-- alert_urgent_ticket_open_days days before (count, age of the oldest). Incremental by day (macro
-- health_recompute_bounds).

{{
    config(
        incremental_strategy=usage_incremental_strategy(),
        partition_by=usage_incremental_partition_by('score_date'),
        pre_hook="{{ planner_hash_joins() }}",
    )
}}

{%- set support_days = var('health_support_window_days') | int %}
{%- set urgent_window = var('alert_urgent_ticket_open_days') | int %}

with

bounds as (
    {{ health_recompute_spine_bounds(is_incremental(), health_warmup_days()) }}
),

spine as (
    select
        account_days.account_id,
        account_days.score_date,
        account_days.has_active_item
    from {{ ref('int_health_account_days') }} as account_days
    cross join bounds
    where account_days.score_date >= bounds.first_spine_date
),

tickets as (
    select
        ticket_id,
        account_id,
        ticket_priority,
        created_date,
        cast({{ to_reporting_time('solved_at') }} as date) as solved_date
    from {{ ref('stg_support__tickets') }}
),

tickets_daily as (
    select
        account_id,
        created_date,
        count(*) as tickets_opened
    from tickets
    group by account_id, created_date
),

windows as (
    select
        spine.account_id,
        spine.score_date,
        spine.has_active_item,
        sum(coalesce(tickets_daily.tickets_opened, 0)) over (
            partition by spine.account_id order by spine.score_date
            rows between {{ support_days - 1 }} preceding and current row
        ) as tickets_opened_window
    from spine
    left join tickets_daily
        on
            spine.account_id = tickets_daily.account_id
            and spine.score_date = tickets_daily.created_date
),

active_days as (
    select
        windows.account_id,
        windows.score_date,
        windows.tickets_opened_window
    from windows
    cross join bounds
    where windows.has_active_item and windows.score_date >= bounds.first_output_date
),

urgent_days as (
    select
        active_days.account_id,
        active_days.score_date,
        count(*) as overdue_urgent_tickets,
        max({{ dbt.datediff('tickets.created_date', 'active_days.score_date', 'day') }})
            as oldest_urgent_ticket_age_days
    from active_days
    inner join tickets
        on
            active_days.account_id = tickets.account_id
            and tickets.ticket_priority = 'urgent'
            and active_days.score_date
            > cast({{ dbt.dateadd('day', urgent_window, 'tickets.created_date') }} as date)
            and (tickets.solved_date is null or active_days.score_date < tickets.solved_date)
    group by active_days.account_id, active_days.score_date
)

select
    active_days.account_id,
    active_days.score_date,
    active_days.tickets_opened_window,
    coalesce(urgent_days.overdue_urgent_tickets, 0) as overdue_urgent_tickets,
    urgent_days.oldest_urgent_ticket_age_days,
    bounds.usage_load_id as _usage_load_id
from active_days
cross join bounds
left join urgent_days
    on
        active_days.account_id = urgent_days.account_id
        and active_days.score_date = urgent_days.score_date

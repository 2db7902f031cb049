-- Support per account and calendar month (docs/kpis.md "support"): tickets opened in the month, median
-- first-response minutes and resolution hours of those tickets, escalations among them, and the open
-- backlog at the month's snapshot day with its age.

with

months as (
    select
        month_start_date,
        snapshot_date,
        -- end of the snapshot day in the reporting zone, as a local timestamp
        cast({{ dbt.dateadd('day', 1, 'snapshot_date') }} as {{ dbt.type_timestamp() }}) as snapshot_end_local
    from {{ ref('int_months') }}
    where month_start_date <= {{ as_of_date() }}
),

tickets as (
    select
        ticket_id,
        account_id,
        is_escalated,
        created_date,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month_start_date,
        cast({{ to_reporting_time('created_at') }} as {{ dbt.type_timestamp() }}) as created_local,
        cast({{ to_reporting_time('solved_at') }} as {{ dbt.type_timestamp() }}) as solved_local,
        {{ seconds_between('created_at', 'first_response_at') }} / 60.0 as first_response_minutes,
        {{ seconds_between('created_at', 'solved_at') }} / 3600.0 as resolution_hours
    from {{ ref('stg_support__tickets') }}
),

opened as (
    select
        account_id,
        month_start_date,
        count(*) as tickets_opened,
        sum(case when is_escalated then 1 else 0 end) as escalated_tickets,
        {{ median('first_response_minutes') }} as median_first_response_minutes,
        {{ median('resolution_hours') }} as median_resolution_hours
    from tickets
    group by account_id, month_start_date
),

backlog as (
    select
        tickets.account_id,
        months.month_start_date,
        count(*) as open_tickets,
        avg({{ dbt.datediff('tickets.created_date', 'months.snapshot_date', 'day') }}) as open_ticket_age_days_avg,
        max({{ dbt.datediff('tickets.created_date', 'months.snapshot_date', 'day') }}) as open_ticket_age_days_max
    from tickets
    inner join months
        on
            tickets.created_local < months.snapshot_end_local
            and (tickets.solved_local is null or tickets.solved_local >= months.snapshot_end_local)
    group by tickets.account_id, months.month_start_date
),

keys as (
    select
        account_id,
        month_start_date
    from opened
    union
    select
        account_id,
        month_start_date
    from backlog
)

select
    keys.account_id,
    keys.month_start_date,
    coalesce(opened.tickets_opened, 0) as tickets_opened,
    coalesce(opened.escalated_tickets, 0) as escalated_tickets,
    opened.median_first_response_minutes,
    opened.median_resolution_hours,
    coalesce(backlog.open_tickets, 0) as open_tickets,
    cast(backlog.open_ticket_age_days_avg as {{ type_double() }}) as open_ticket_age_days_avg,
    backlog.open_ticket_age_days_max
from keys
left join opened
    on
        keys.account_id = opened.account_id
        and keys.month_start_date = opened.month_start_date
left join backlog
    on
        keys.account_id = backlog.account_id
        and keys.month_start_date = backlog.month_start_date

-- Product usage per account and month: active users, DAU, stickiness, sessions, logins vs seats, feature
-- breadth, and the month's support load.

with

usage as (
    select * from {{ ref('int_usage_account_monthly') }}
),

months as (
    select * from {{ ref('int_months') }}
),

breadth as (
    select * from {{ ref('int_usage_feature_breadth_monthly') }}
),

support as (
    select * from {{ ref('int_support_account_monthly') }}
)

select
    usage.account_id,
    usage.month_start_date as month,
    months.fiscal_year,
    months.fiscal_quarter,
    months.is_complete,
    usage.plan_id,
    usage.plan_tier,
    cast(usage.monthly_active_users as integer) as monthly_active_users,
    cast(usage.active_days as integer) as active_days,
    cast(usage.dau_avg as {{ type_double() }}) as dau_avg,
    cast(usage.stickiness as {{ type_double() }}) as stickiness,
    cast(usage.sessions as integer) as sessions,
    cast(usage.session_seconds / 60.0 as {{ type_double() }}) as session_minutes,
    cast(usage.key_actions as integer) as key_actions,
    cast(usage.login_users as integer) as login_users,
    cast(usage.licensed_seats as integer) as licensed_seats,
    cast(usage.login_rate as {{ type_double() }}) as login_rate,
    cast(breadth.core_features_used as integer) as core_features_used,
    cast(breadth.core_features_available as integer) as core_features_available,
    cast(breadth.feature_breadth as {{ type_double() }}) as feature_breadth,
    cast(coalesce(support.tickets_opened, 0) as integer) as tickets_opened,
    cast(coalesce(support.escalated_tickets, 0) as integer) as escalated_tickets,
    cast(coalesce(support.open_tickets, 0) as integer) as open_tickets,
    cast(support.median_first_response_minutes as {{ type_double() }}) as median_first_response_minutes,
    cast(support.median_resolution_hours as {{ type_double() }}) as median_resolution_hours,
    cast(support.open_ticket_age_days_avg as {{ type_double() }}) as open_ticket_age_days_avg
from usage
inner join months on usage.month_start_date = months.month_start_date
left join breadth
    on
        usage.account_id = breadth.account_id
        and usage.month_start_date = breadth.month_start_date
left join support
    on
        usage.account_id = support.account_id
        and usage.month_start_date = support.month_start_date

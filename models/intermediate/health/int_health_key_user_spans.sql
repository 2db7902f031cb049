-- Spans of days on which an admin or champion user has had no active event for alert_key_user_inactive_days
-- days or more: from N days after each active day until the day before the next one (open-ended after the
-- last), and from N days after registration until the first active day. Every key user has at least the
-- registration row (possibly an empty span, from > to), so the rows also list who counts as a key user and
-- from when. Users registered before the event history are measured from its first day.

{{ config(materialized='table') }}

{%- set window_days = var('alert_key_user_inactive_days') | int %}

with

history as (
    select min(activity_date) as history_start_date
    from {{ ref('int_usage_user_daily') }}
),

key_users as (
    select
        product_users.user_id,
        product_users.account_id,
        case
            when cast({{ to_reporting_time('product_users.registered_at') }} as date) < history.history_start_date
                then history.history_start_date
            else cast({{ to_reporting_time('product_users.registered_at') }} as date)
        end as counted_from_date,
        cast({{ to_reporting_time('product_users.deactivated_at') }} as date) as deactivated_date
    from {{ ref('stg_product__users') }} as product_users
    cross join history
    where product_users.is_key_user
),

activity as (
    select
        key_users.user_id,
        user_daily.activity_date,
        lead(user_daily.activity_date) over (
            partition by key_users.user_id order by user_daily.activity_date
        ) as next_activity_date,
        row_number() over (partition by key_users.user_id order by user_daily.activity_date) as activity_rank
    from key_users
    inner join {{ ref('int_usage_user_daily') }} as user_daily on key_users.user_id = user_daily.user_id
    where user_daily.activity_date <= {{ as_of_date() }}
),

spans as (
    select
        activity.user_id,
        activity.activity_date as inactive_since_date,
        cast({{ dbt.dateadd('day', window_days, 'activity.activity_date') }} as date) as span_from_date,
        cast({{ dbt.dateadd('day', -1, 'activity.next_activity_date') }} as date) as span_to_date
    from activity
    union all
    select
        key_users.user_id,
        key_users.counted_from_date as inactive_since_date,
        cast({{ dbt.dateadd('day', window_days, 'key_users.counted_from_date') }} as date) as span_from_date,
        cast({{ dbt.dateadd('day', -1, 'first_activity.activity_date') }} as date) as span_to_date
    from key_users
    left join activity as first_activity
        on
            key_users.user_id = first_activity.user_id
            and first_activity.activity_rank = 1
)

select
    key_users.user_id,
    key_users.account_id,
    key_users.counted_from_date,
    key_users.deactivated_date,
    spans.inactive_since_date,
    spans.span_from_date,
    spans.span_to_date
from spans
inner join key_users on spans.user_id = key_users.user_id

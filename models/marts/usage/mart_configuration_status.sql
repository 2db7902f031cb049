-- configuration_status: per account, which setup items (var configuration_items, from the `item` property
-- of "Settings Updated" events) have been done, as flags, and the share done.

{%- set items = var('configuration_items') %}

with

settings as (
    select
        account_id,
        {{ json_text_property('properties_json', 'item') }} as setting_item,
        activity_date
    from {{ ref('stg_product__events') }}
    where
        event_name = 'Settings Updated'
        and activity_date <= {{ as_of_date() }}
),

accounts as (
    select distinct account_id from {{ ref('int_usage_account_monthly') }}
),

done as (
    select
        account_id,
        {% for item in items %}
            min(case when setting_item = '{{ item }}' then activity_date end) as {{ item }}_done_date,
        {% endfor %}
        count(*) as settings_events
    from settings
    group by account_id
)

select
    accounts.account_id,
    {% for item in items %}
        done.{{ item }}_done_date is not null as has_{{ item }},
        done.{{ item }}_done_date,
    {% endfor %}
    cast(
        0
        {% for item in items %}
            + case when done.{{ item }}_done_date is not null then 1 else 0 end
        {% endfor %}
        as integer
    ) as configuration_items_done,
    {{ items | length }} as configuration_items_total,
    cast(
        0
        {% for item in items %}
            + case when done.{{ item }}_done_date is not null then 1 else 0 end
        {% endfor %}
        as {{ type_double() }}
    ) / {{ items | length }} as configuration_completion_share
from accounts
left join done on accounts.account_id = done.account_id

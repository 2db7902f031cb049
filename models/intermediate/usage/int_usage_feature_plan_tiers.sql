-- Which plan tiers include which feature, unpivoted from the features seed (one row per feature x tier).

{{ config(materialized='view') }}

{%- set tiers = ['free', 'starter', 'standard', 'enterprise'] %}

with

features as (
    select * from {{ ref('features') }}
)

{% for tier in tiers %}
    select
        feature_code,
        is_core,
        '{{ tier }}' as plan_tier
    from features
    where in_{{ tier }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}

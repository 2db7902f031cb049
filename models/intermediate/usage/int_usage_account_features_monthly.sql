-- Account x month x feature, over the trailing var feature_window_days days ending at the month's
-- snapshot day (month end, or the as-of day for the running month): uses of the feature, whether the
-- account was active in the window, whether its plan (primary plan at the snapshot) includes the feature.
-- Feeds feature_adoption (feature x month) and feature_breadth (account x month).

{%- set window_days = var('feature_window_days') %}

with

months as (
    select
        month_start_date,
        snapshot_date,
        cast({{ dbt.dateadd('day', 1 - window_days, 'snapshot_date') }} as date) as window_start_date
    from {{ ref('int_months') }}
    where month_start_date <= {{ as_of_date() }}
),

account_plans as (
    select
        account_mrr.account_id,
        account_mrr.month_start_date,
        crm_plans.plan_tier
    from {{ ref('int_account_mrr_monthly') }} as account_mrr
    inner join {{ ref('stg_crm__plans') }} as crm_plans on account_mrr.plan_id = crm_plans.plan_id
),

active_accounts as (
    select distinct
        user_daily.account_id,
        months.month_start_date
    from {{ ref('int_usage_user_daily') }} as user_daily
    inner join months
        on user_daily.activity_date between months.window_start_date and months.snapshot_date
),

feature_uses as (
    select
        feature_daily.account_id,
        months.month_start_date,
        feature_daily.feature_code,
        sum(feature_daily.use_count) as use_count
    from {{ ref('int_usage_feature_daily') }} as feature_daily
    inner join months
        on feature_daily.activity_date between months.window_start_date and months.snapshot_date
    group by feature_daily.account_id, months.month_start_date, feature_daily.feature_code
),

features as (
    select
        feature_code,
        is_core
    from {{ ref('features') }}
),

account_month_features as (
    -- every feature for every account-month with a plan or with activity
    select
        account_months.account_id,
        account_months.month_start_date,
        features.feature_code,
        features.is_core
    from (
        select
            account_id,
            month_start_date
        from account_plans
        union
        select
            account_id,
            month_start_date
        from active_accounts
    ) as account_months
    cross join features
)

select
    account_month_features.account_id,
    account_month_features.month_start_date,
    account_month_features.feature_code,
    account_month_features.is_core,
    account_plans.plan_tier,
    active_accounts.account_id is not null as is_active_account,
    tiers.feature_code is not null as is_feature_in_plan,
    coalesce(feature_uses.use_count, 0) as use_count,
    coalesce(feature_uses.use_count, 0) >= {{ var('feature_adoption_min_uses') }} as is_adopted
from account_month_features
left join account_plans
    on
        account_month_features.account_id = account_plans.account_id
        and account_month_features.month_start_date = account_plans.month_start_date
left join {{ ref('int_usage_feature_plan_tiers') }} as tiers
    on
        account_month_features.feature_code = tiers.feature_code
        and account_plans.plan_tier = tiers.plan_tier
left join active_accounts
    on
        account_month_features.account_id = active_accounts.account_id
        and account_month_features.month_start_date = active_accounts.month_start_date
left join feature_uses
    on
        account_month_features.account_id = feature_uses.account_id
        and account_month_features.month_start_date = feature_uses.month_start_date
        and account_month_features.feature_code = feature_uses.feature_code

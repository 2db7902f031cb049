-- Touch tier per account-month (docs/kpis.md "touch_tier"), assigned as of the first day of the month from
-- what was known at the end of the previous month: its MRR (mrr_start) and its segment's trailing 6-month
-- logo churn rate of that month. An account that was not paying then (new this month) is tech touch until
-- next month, because its value is 0.

{{ config(materialized='table') }}

with

account_months as (
    select
        account_id,
        month_start_date,
        segment,
        mrr_start
    from {{ ref('int_revenue_account_months') }}
),

segment_churn as (
    select
        slice_segment,
        cast({{ dbt.dateadd('month', 1, 'month_start_date') }} as date) as applies_to_month,
        case when trailing_6m_logo_churn_rate > 0 then trailing_6m_logo_churn_rate end as churn_rate
    from {{ ref('int_revenue_segment_monthly') }}
),

tier_bounds as (
    select
        touch_tier,
        touch_tier_name_ja,
        tier_rank,
        min_value,
        lead(min_value) over (order by min_value) as next_min_value
    from {{ ref('touch_tiers') }}
    where basis = '{{ var("touch_tier_basis") }}'
),

valued as (
    select
        account_months.account_id,
        account_months.month_start_date,
        account_months.segment,
        account_months.mrr_start,
        cast(12 * account_months.mrr_start as decimal(18, 2)) as arr_at_start,
        coalesce(by_segment.churn_rate, company.churn_rate) as churn_rate_at_start,
        cast(case
            when coalesce(by_segment.churn_rate, company.churn_rate) is not null
                then
                    account_months.mrr_start * {{ var('gross_margin') }}
                    / coalesce(by_segment.churn_rate, company.churn_rate)
            else
                account_months.mrr_start * {{ var('gross_margin') }}
                * {{ var('touch_tier_fallback_lifetime_months') }}
        end as decimal(18, 2)) as ltv_at_start
    from account_months
    left join segment_churn as by_segment
        on
            account_months.segment = by_segment.slice_segment
            and account_months.month_start_date = by_segment.applies_to_month
    left join segment_churn as company
        on
            company.slice_segment = 'all'
            and account_months.month_start_date = company.applies_to_month
)

select
    valued.account_id,
    valued.month_start_date,
    valued.segment,
    valued.mrr_start,
    valued.arr_at_start,
    valued.churn_rate_at_start,
    valued.ltv_at_start,
    '{{ var("touch_tier_basis") }}' as tier_basis,
    tier_bounds.touch_tier,
    tier_bounds.touch_tier_name_ja,
    tier_bounds.tier_rank
from valued
left join tier_bounds
    on
        {% if var('touch_tier_basis') == 'arr' -%}
            valued.arr_at_start >= tier_bounds.min_value
            and (tier_bounds.next_min_value is null or valued.arr_at_start < tier_bounds.next_min_value)
        {%- else -%}
            valued.ltv_at_start >= tier_bounds.min_value
            and (tier_bounds.next_min_value is null or valued.ltv_at_start < tier_bounds.next_min_value)
        {%- endif %}

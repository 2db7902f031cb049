-- Month x segment revenue KPIs (docs/kpis.md "Revenue and contract KPIs"), plus one row per month with
-- segment = 'all' for the company. Every formula lives here once; mart_kpi_monthly and
-- mart_revenue_by_segment only select. Ratios are null for incomplete months (the running month):
-- counts and amounts are kept so the running month can still be watched.

{#- every rate of the month: name, numerator, denominator (null when the denominator is 0) -#}
{%- set segment_rates = [
    ('logo_churn_rate', 'monthly.churned_accounts', 'monthly.accounts_at_start'),
    ('gross_revenue_churn_rate', 'monthly.churned_mrr + monthly.contraction_mrr', 'monthly.mrr_at_start'),
    ('net_revenue_churn_rate',
        'monthly.churned_mrr + monthly.contraction_mrr - monthly.expansion_mrr', 'monthly.mrr_at_start'),
    ('nrr_monthly',
        'monthly.mrr_at_start + monthly.expansion_mrr - monthly.contraction_mrr - monthly.churned_mrr',
        'monthly.mrr_at_start'),
    ('grr_monthly', 'monthly.mrr_at_start - monthly.contraction_mrr - monthly.churned_mrr',
        'monthly.mrr_at_start'),
    ('nrr_12m', 'twelve_month.mrr_now_12m', 'twelve_month.mrr_base_12m'),
    ('grr_12m', 'twelve_month.mrr_retained_12m', 'twelve_month.mrr_base_12m'),
    ('customer_retention_rate', 'monthly.retained_accounts', 'monthly.accounts_at_start'),
    ('upsell_rate', 'monthly.upsell_accounts', 'monthly.accounts_at_start'),
    ('cross_sell_rate', 'monthly.cross_sell_accounts', 'monthly.accounts_at_start'),
    ('arpa', 'monthly.mrr', 'monthly.paying_accounts'),
] %}

with

account_months as (
    select * from {{ ref('int_revenue_account_months') }}
),

months as (
    select * from {{ ref('int_months') }}
),

sliced as (
    select
        account_months.*,
        account_months.segment as slice_segment
    from account_months
    union all
    select
        account_months.*,
        'all' as slice_segment
    from account_months
),

churn_counts as (
    select
        *,
        sum(case when movement = 'churn' then 1 else 0 end) over (
            partition by slice_segment, account_id order by month_start_date
            rows between unbounded preceding and current row
        ) as churns_to_date
    from sliced
),

-- 12-month cohort: accounts paying at the end of m-12, with their MRR then and now
twelve_month_pairs as (
    select
        now_month.slice_segment,
        now_month.month_start_date,
        base_month.mrr_end as mrr_base,
        {% if var('nrr_includes_reactivated') -%}
            now_month.mrr_end as mrr_now
        {%- else -%}
            -- an account that churned at some point inside the window counts 0 even if it came back
            case
                when now_month.churns_to_date > base_month.churns_to_date then 0
                else now_month.mrr_end
            end as mrr_now
        {%- endif %}
    from churn_counts as base_month
    inner join churn_counts as now_month
        on
            base_month.account_id = now_month.account_id
            and base_month.slice_segment = now_month.slice_segment
            and cast({{ dbt.dateadd('month', 12, 'base_month.month_start_date') }} as date) = now_month.month_start_date
    where base_month.mrr_end > 0
),

twelve_month as (
    select
        slice_segment,
        month_start_date,
        count(*) as accounts_base_12m,
        sum(mrr_base) as mrr_base_12m,
        sum(mrr_now) as mrr_now_12m,
        sum(case when mrr_now < mrr_base then mrr_now else mrr_base end) as mrr_retained_12m
    from twelve_month_pairs
    group by slice_segment, month_start_date
),

monthly as (
    select
        slice_segment,
        month_start_date,
        -- base S(m) and the end of the month
        sum(case when is_customer_start then 1 else 0 end) as accounts_at_start,
        sum(case when mrr_end > 0 then 1 else 0 end) as paying_accounts,
        sum(case when is_customer_end then 1 else 0 end) as customers_at_end,
        sum(case when is_customer_start and is_customer_end then 1 else 0 end) as retained_accounts,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_accounts,
        sum(case when movement = 'new' then 1 else 0 end) as new_accounts,
        sum(case when movement = 'reactivation' then 1 else 0 end) as reactivated_accounts,
        sum(case when movement = 'expansion' then 1 else 0 end) as expanded_accounts,
        sum(case when movement = 'contraction' then 1 else 0 end) as contracted_accounts,
        sum(case when is_same_month_churn then 1 else 0 end) as same_month_churn_count,
        sum(case when is_upsell then 1 else 0 end) as upsell_accounts,
        sum(case when is_cross_sell then 1 else 0 end) as cross_sell_accounts,
        -- the bridge; decimal(38, 2) is what DuckDB's sum gives, spelled out so every engine keeps the scale
        cast(sum(mrr_start) as decimal(38, 2)) as mrr_at_start,
        cast(sum(case when movement = 'new' then mrr_end else 0 end) as decimal(38, 2)) as new_mrr,
        cast(sum(case when movement = 'reactivation' then mrr_end else 0 end) as decimal(38, 2)) as reactivation_mrr,
        cast(sum(case when movement = 'expansion' then mrr_change else 0 end) as decimal(38, 2)) as expansion_mrr,
        cast(sum(case when movement = 'contraction' then -mrr_change else 0 end) as decimal(38, 2)) as contraction_mrr,
        cast(sum(case when movement = 'churn' then mrr_start else 0 end) as decimal(38, 2)) as churned_mrr,
        cast(sum(mrr_end) as decimal(38, 2)) as mrr
    from sliced
    group by slice_segment, month_start_date
),

rates as (
    select
        monthly.*,
        months.fiscal_year,
        months.fiscal_quarter,
        months.is_complete,
        twelve_month.accounts_base_12m,
        twelve_month.mrr_base_12m,
        twelve_month.mrr_now_12m,
        twelve_month.mrr_retained_12m,
        {% for name, numerator, denominator in segment_rates %}
            case
                when months.is_complete then {{ safe_ratio(numerator, denominator) }}
            end as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from monthly
    inner join months on monthly.month_start_date = months.month_start_date
    left join twelve_month
        on
            monthly.slice_segment = twelve_month.slice_segment
            and monthly.month_start_date = twelve_month.month_start_date
),

with_trailing as (
    select
        *,
        avg(logo_churn_rate) over (
            partition by slice_segment order by month_start_date rows between 5 preceding and current row
        ) as trailing_6m_logo_churn_rate,
        count(logo_churn_rate) over (
            partition by slice_segment order by month_start_date rows between 5 preceding and current row
        ) as trailing_churn_months
    from rates
)

select
    *,
    -- six measured months are needed; a zero churn average would make LTV infinite, so it stays null
    case
        when trailing_churn_months = 6 and trailing_6m_logo_churn_rate > 0
            then arpa * {{ var('gross_margin') }} / trailing_6m_logo_churn_rate
    end as ltv_simple
from with_trailing

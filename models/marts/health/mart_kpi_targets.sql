-- KPI目標と実績 (docs/kpis.md "kpi_targets"): each target of the seed kpi_targets against the actual of
-- mart_kpi_monthly, per KPI and month. A fiscal-year target applies to each month of the year; a month
-- target overrides it. Status: on_track when the actual is on the good side of the target (direction) or
-- equal to it, behind otherwise, null while the actual is unknown (an incomplete month's rate).

{%- set kpis = [
    'mrr', 'arr', 'arpa', 'ltv_simple', 'logo_churn_rate', 'gross_revenue_churn_rate', 'net_revenue_churn_rate',
    'nrr_monthly', 'grr_monthly', 'nrr_12m', 'grr_12m', 'customer_retention_rate', 'upsell_rate',
    'cross_sell_rate', 'mau', 'stickiness', 'nps', 'csat', 'onboarding_completion_rate',
] %}

with

kpi as (
    select * from {{ ref('mart_kpi_monthly') }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

candidates as (
    select
        targets.kpi_key,
        kpi.month,
        kpi.fiscal_year,
        kpi.fiscal_quarter,
        kpi.is_complete,
        targets.target_value,
        targets.direction,
        case when targets.target_month is not null then 'month' else 'fiscal_year' end as target_period,
        row_number() over (
            partition by targets.kpi_key, kpi.month
            order by case when targets.target_month is not null then 0 else 1 end
        ) as target_rank,
        case targets.kpi_key
            {%- for key in kpis %}
                when '{{ key }}' then cast(kpi.{{ key }} as {{ type_double() }})
            {%- endfor %}
        end as actual_value
    from targets
    inner join kpi
        on
            targets.target_month = kpi.month
            or (targets.target_month is null and targets.fiscal_year = kpi.fiscal_year)
)

select
    kpi_key,
    month,
    fiscal_year,
    fiscal_quarter,
    is_complete,
    target_period,
    direction,
    target_value,
    actual_value,
    actual_value - target_value as gap,
    case
        when actual_value is null then null
        when direction = 'higher_is_better' and actual_value >= target_value then 'on_track'
        when direction = 'lower_is_better' and actual_value <= target_value then 'on_track'
        else 'behind'
    end as status
from candidates
where target_rank = 1

-- CRM pipeline by close month and opportunity type (docs/kpis.md "cross_sell_rate": the pipeline view
-- beside it): counts, won amount in the reporting currency, and win rate = won / closed.

with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

months as (
    select * from {{ ref('int_months') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rate_periods') }}
),

converted as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_type,
        opportunities.is_closed,
        opportunities.is_won,
        cast({{ dbt.date_trunc('month', 'opportunities.close_date') }} as date) as close_month,
        opportunities.monthly_amount * fx_rates.rate_to_reporting as monthly_amount_reporting
    from opportunities
    left join fx_rates
        on
            opportunities.currency_code = fx_rates.currency_code
            and {{ valid_on('fx_rates', 'opportunities.close_date') }}
),

grouped as (
    select
        close_month,
        opportunity_type,
        count(*) as opportunities,
        sum(case when not is_closed then 1 else 0 end) as open_opportunities,
        sum(case when is_won then 1 else 0 end) as won_opportunities,
        sum(case when is_closed and not is_won then 1 else 0 end) as lost_opportunities,
        sum(case when is_won then monthly_amount_reporting else 0 end) as won_mrr,
        sum(case when not is_closed then monthly_amount_reporting else 0 end) as open_pipeline_mrr
    from converted
    group by close_month, opportunity_type
)

select
    grouped.close_month as month,
    months.fiscal_year,
    months.fiscal_quarter,
    months.is_complete,
    grouped.opportunity_type,
    cast(grouped.opportunities as integer) as opportunities,
    cast(grouped.open_opportunities as integer) as open_opportunities,
    cast(grouped.won_opportunities as integer) as won_opportunities,
    cast(grouped.lost_opportunities as integer) as lost_opportunities,
    cast(grouped.won_mrr as decimal(18, 2)) as won_mrr,
    cast(grouped.open_pipeline_mrr as decimal(18, 2)) as open_pipeline_mrr,
    case
        when months.is_complete then
            {{ safe_ratio('grouped.won_opportunities', 'grouped.won_opportunities + grouped.lost_opportunities') }}
    end as win_rate
from grouped
inner join months on grouped.close_month = months.month_start_date

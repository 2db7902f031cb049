-- Distribution of cancellation reasons (docs/kpis.md "churn_reasons") by churn month, reason, plan and tenure
-- band at the start of the month. Shares are of all accounts churned in the month, so they add up to 1
-- over reasons, plans and bands ('no_survey' included).

with

events as (
    select * from {{ ref('int_churn_events') }}
),

plans as (
    select * from {{ ref('stg_crm__plans') }}
),

reasons as (
    select * from {{ ref('churn_reason_codes') }}
),

grouped as (
    select
        month_start_date,
        fiscal_year,
        fiscal_quarter,
        is_complete,
        reason_code,
        plan_id_start,
        tenure_band_at_start,
        count(*) as churned_accounts,
        sum(churned_mrr) as churned_mrr,
        sum(case when free_text is not null then 1 else 0 end) as answers_with_text
    from events
    group by
        month_start_date, fiscal_year, fiscal_quarter, is_complete, reason_code, plan_id_start, tenure_band_at_start
),

with_totals as (
    select
        *,
        sum(churned_accounts) over (partition by month_start_date) as month_churned_accounts
    from grouped
)

select
    with_totals.month_start_date as month,
    with_totals.fiscal_year,
    with_totals.fiscal_quarter,
    with_totals.is_complete,
    with_totals.reason_code,
    reasons.reason_label,
    reasons.reason_label_ja,
    reasons.is_controllable,
    plans.plan_name as plan,
    with_totals.plan_id_start as plan_id,
    plans.plan_tier,
    with_totals.tenure_band_at_start as tenure_band,
    cast(with_totals.churned_accounts as integer) as churned_accounts,
    cast(with_totals.churned_mrr as decimal(18, 2)) as churned_mrr,
    cast(with_totals.answers_with_text as integer) as answers_with_text,
    case
        when with_totals.is_complete then
            cast(with_totals.churned_accounts as {{ type_double() }}) / with_totals.month_churned_accounts
    end as share_of_month_churn
from with_totals
left join reasons on with_totals.reason_code = reasons.reason_code
left join plans on with_totals.plan_id_start = plans.plan_id

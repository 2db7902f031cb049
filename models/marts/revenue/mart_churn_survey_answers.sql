-- Every churn with the survey answer attributed to it, free text (masked in staging) kept for reading beside the
-- distribution in mart_churn_reasons.

with

events as (
    select * from {{ ref('int_churn_events') }}
),

plans as (
    select * from {{ ref('stg_crm__plans') }}
),

reasons as (
    select * from {{ ref('churn_reason_codes') }}
)

select
    events.account_id,
    events.month_start_date as month,
    events.fiscal_year,
    events.fiscal_quarter,
    events.is_complete,
    events.segment,
    plans.plan_name as plan,
    plans.plan_tier,
    events.tenure_band_at_start as tenure_band,
    cast(events.churned_mrr as decimal(18, 2)) as churned_mrr,
    events.reason_code,
    reasons.reason_label_ja,
    events.survey_submitted_date,
    events.free_text
from events
left join reasons on events.reason_code = reasons.reason_code
left join plans on events.plan_id_start = plans.plan_id

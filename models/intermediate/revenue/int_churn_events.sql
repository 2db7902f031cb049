-- One row per churn movement (account x month) with the plan and tenure band at the start of the month and
-- the cancellation-survey answer that explains it: the latest one the account submitted before the end of
-- the churn month and at most churn_survey_lookback_months earlier. No answer = reason 'no_survey'.

with

account_months as (
    select * from {{ ref('int_revenue_account_months') }}
    where movement = 'churn'
),

surveys as (
    select
        cancellation_survey_id,
        account_id,
        reason_code,
        free_text,
        cast({{ to_reporting_time('submitted_at') }} as date) as submitted_date
    from {{ ref('stg_crm__cancellation_surveys') }}
),

matched as (
    select
        account_months.account_id,
        account_months.month_start_date,
        surveys.cancellation_survey_id,
        surveys.reason_code,
        surveys.free_text,
        surveys.submitted_date,
        row_number() over (
            partition by account_months.account_id, account_months.month_start_date
            order by surveys.submitted_date desc, surveys.cancellation_survey_id desc
        ) as survey_rank
    from account_months
    inner join surveys
        on
            account_months.account_id = surveys.account_id
            and surveys.submitted_date <= {{ month_end('account_months.month_start_date') }}
            and surveys.submitted_date >= cast({{ dbt.dateadd(
                'month', -var('churn_survey_lookback_months'), 'account_months.month_start_date'
            ) }} as date)
)

select
    account_months.account_id,
    account_months.month_start_date,
    account_months.fiscal_year,
    account_months.fiscal_quarter,
    account_months.is_complete,
    account_months.segment,
    account_months.plan_id_start,
    account_months.tenure_band_at_start,
    account_months.tenure_band_order_at_start,
    account_months.mrr_start as churned_mrr,
    matched.cancellation_survey_id,
    matched.submitted_date as survey_submitted_date,
    coalesce(matched.reason_code, 'no_survey') as reason_code,
    matched.free_text
from account_months
left join matched
    on
        account_months.account_id = matched.account_id
        and account_months.month_start_date = matched.month_start_date
        and matched.survey_rank = 1

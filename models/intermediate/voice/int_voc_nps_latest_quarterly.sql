-- NPS answers that count for a fiscal quarter: each respondent's latest answer in the quarter.

with

months as (
    select
        month_start_date,
        fiscal_year,
        fiscal_quarter
    from {{ ref('int_months') }}
),

responses as (
    select
        responses.response_id,
        responses.account_id,
        responses.contact_id,
        responses.nps_score,
        responses.responded_at,
        months.fiscal_year,
        months.fiscal_quarter
    from {{ ref('stg_survey__nps_responses') }} as responses
    inner join months
        on cast({{ dbt.date_trunc('month', 'responses.responded_date') }} as date) = months.month_start_date
    where responses.responded_date <= {{ as_of_date() }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by fiscal_year, fiscal_quarter, contact_id
            order by responded_at desc, response_id desc
        ) as answer_rank
    from responses
)

select
    fiscal_year,
    fiscal_quarter,
    response_id,
    account_id,
    contact_id,
    nps_score,
    {{ nps_category('nps_score') }} as nps_category,
    responded_at
from ranked
where answer_rank = 1

-- NPS answers that count for a calendar month (reporting zone): each respondent's latest answer in the
-- month, so a contact who answers twice is one voice, with their latest opinion.

with

responses as (
    select
        response_id,
        account_id,
        contact_id,
        nps_score,
        responded_at,
        responded_date,
        cast({{ dbt.date_trunc('month', 'responded_date') }} as date) as month_start_date
    from {{ ref('stg_survey__nps_responses') }}
    where responded_date <= {{ as_of_date() }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by month_start_date, contact_id
            order by responded_at desc, response_id desc
        ) as answer_rank
    from responses
)

select
    month_start_date,
    response_id,
    account_id,
    contact_id,
    nps_score,
    {{ nps_category('nps_score') }} as nps_category,
    responded_at
from ranked
where answer_rank = 1

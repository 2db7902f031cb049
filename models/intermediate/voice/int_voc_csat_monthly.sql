-- CSAT per calendar month and touchpoint (docs/kpis.md "csat"): the share of answers scoring at least
-- var csat_satisfied_min_score (4 on the 1-5 scale). Never an average score. touchpoint = 'all' is the
-- company line.

with

responses as (
    select
        touchpoint,
        csat_score,
        cast({{ dbt.date_trunc('month', 'responded_date') }} as date) as month_start_date
    from {{ ref('stg_survey__csat_responses') }}
    where responded_date <= {{ as_of_date() }}
),

by_touchpoint as (
    select
        month_start_date,
        touchpoint,
        count(*) as csat_responses,
        sum(case when csat_score >= {{ var('csat_satisfied_min_score') }} then 1 else 0 end) as csat_satisfied
    from responses
    group by month_start_date, touchpoint
),

all_touchpoints as (
    select
        month_start_date,
        'all' as touchpoint,
        sum(csat_responses) as csat_responses,
        sum(csat_satisfied) as csat_satisfied
    from by_touchpoint
    group by month_start_date
),

unioned as (
    select * from by_touchpoint
    union all
    select * from all_touchpoints
)

select
    month_start_date,
    touchpoint,
    csat_responses,
    csat_satisfied,
    {{ safe_ratio('csat_satisfied', 'csat_responses') }} as csat
from unioned

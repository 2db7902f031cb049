-- CSAT per month and touchpoint ('all' = every touchpoint).

select
    csat.month_start_date as month,
    csat.touchpoint,
    months.is_complete,
    cast(csat.csat_responses as integer) as csat_responses,
    cast(csat.csat_satisfied as integer) as csat_satisfied,
    cast(csat.csat as {{ type_double() }}) as csat
from {{ ref('int_voc_csat_monthly') }} as csat
inner join {{ ref('int_months') }} as months on csat.month_start_date = months.month_start_date

-- NPS per fiscal quarter and account segment ('all' = the company), suppressed below var nps_min_responses.

with

latest as (
    select
        latest.*,
        crm_accounts.segment
    from {{ ref('int_voc_nps_latest_quarterly') }} as latest
    left join {{ ref('stg_crm__accounts') }} as crm_accounts on latest.account_id = crm_accounts.account_id
),

by_segment as (
    select
        fiscal_year,
        fiscal_quarter,
        coalesce(segment, 'unknown') as segment,
        count(*) as responses,
        sum(case when nps_category = 'promoter' then 1 else 0 end) as promoters,
        sum(case when nps_category = 'passive' then 1 else 0 end) as passives,
        sum(case when nps_category = 'detractor' then 1 else 0 end) as detractors
    from latest
    group by fiscal_year, fiscal_quarter, coalesce(segment, 'unknown')
),

company as (
    select
        fiscal_year,
        fiscal_quarter,
        'all' as segment,
        sum(responses) as responses,
        sum(promoters) as promoters,
        sum(passives) as passives,
        sum(detractors) as detractors
    from by_segment
    group by fiscal_year, fiscal_quarter
),

unioned as (
    select * from by_segment
    union all
    select * from company
)

select
    fiscal_year,
    fiscal_quarter,
    segment,
    cast(responses as integer) as nps_responses,
    cast(promoters as integer) as nps_promoters,
    cast(passives as integer) as nps_passives,
    cast(detractors as integer) as nps_detractors,
    cast({{ nps_score('promoters', 'detractors', 'responses') }} as {{ type_double() }}) as nps
from unioned

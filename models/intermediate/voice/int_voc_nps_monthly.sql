-- Company NPS per calendar month (docs/kpis.md "nps"): % promoters - % detractors over each respondent's
-- latest answer in the month; suppressed (null) below var nps_min_responses answers, the count is kept.

select
    month_start_date,
    count(*) as nps_responses,
    sum(case when nps_category = 'promoter' then 1 else 0 end) as nps_promoters,
    sum(case when nps_category = 'passive' then 1 else 0 end) as nps_passives,
    sum(case when nps_category = 'detractor' then 1 else 0 end) as nps_detractors,
    {{ nps_score(
        "sum(case when nps_category = 'promoter' then 1 else 0 end)",
        "sum(case when nps_category = 'detractor' then 1 else 0 end)",
        'count(*)'
    ) }} as nps
from {{ ref('int_voc_nps_latest_monthly') }}
group by month_start_date

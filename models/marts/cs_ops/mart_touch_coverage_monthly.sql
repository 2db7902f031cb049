-- タッチ実施率 by tier and month (docs/kpis.md "touch_coverage"): covered accounts / accounts of the tier at the
-- month start, from mart_touch_coverage. Null (no data) without an activity log.

with

coverage as (
    select * from {{ ref('mart_touch_coverage') }}
),

grouped as (
    select
        month,
        fiscal_year,
        fiscal_quarter,
        touch_tier,
        is_complete,
        count(*) as accounts,  -- noqa: RF04
        sum(case when is_covered then 1 else 0 end) as covered_accounts,
        count(is_covered) as accounts_with_data,
        sum(prescribed_touches) as prescribed_touches,
        sum(actual_touches) as actual_touches
    from coverage
    group by month, fiscal_year, fiscal_quarter, touch_tier, is_complete
)

select
    month,
    fiscal_year,
    fiscal_quarter,
    touch_tier,
    cast(accounts as integer) as accounts,  -- noqa: RF04
    case when accounts_with_data > 0 then cast(covered_accounts as integer) end as covered_accounts,
    case when accounts_with_data > 0 then {{ safe_ratio('covered_accounts', 'accounts') }} end as touch_coverage,
    cast(prescribed_touches as integer) as prescribed_touches,
    cast(actual_touches as integer) as actual_touches,
    is_complete
from grouped

-- The calendar of reporting months (first day of each month), from var spine_start_date through the
-- as-of month, built with dbt's date_spine.

with

spine as (
    {{ dbt.date_spine(
        datepart='month',
        start_date="cast('" ~ var('spine_start_date') ~ "' as date)",
        end_date=spine_end_date()
    ) }}
),

months as (
    select
        cast(date_month as date) as month_start_date,
        {{ month_end('cast(date_month as date)') }} as month_end_date
    from spine
)

select
    month_start_date,
    month_end_date,
    -- the snapshot day: month end, or the as-of day for the month still running
    case
        when month_end_date > {{ as_of_date() }} then {{ as_of_date() }}
        else month_end_date
    end as snapshot_date,
    month_end_date <= {{ as_of_date() }} as is_complete,
    {{ fiscal_year('month_start_date') }} as fiscal_year,
    {{ fiscal_quarter('month_start_date') }} as fiscal_quarter
from months

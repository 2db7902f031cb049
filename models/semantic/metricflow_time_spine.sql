-- One row per day for MetricFlow: it joins metrics to this spine for cumulative windows and for
-- month/quarter/fiscal roll-ups of metric_time. The range covers the var spine_start_date up to
-- ten years ahead, well past any as-of day the warehouse reports. fiscal_quarter_start and
-- fiscal_year_start are the custom granularities metric_time__fiscal_quarter and metric_time__fiscal_year:
-- the first day of the fiscal period (var fiscal_year_start_month, April: FY2025 starts 2025-04-01).

with

days as (
    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('" ~ var('spine_start_date') ~ "' as date)",
        end_date=dbt.dateadd("year", 10, "current_date")
    ) }}
),

typed as (
    select cast(date_day as date) as date_day
    from days
),

fiscal as (
    select
        date_day,
        {{ fiscal_year('date_day') }} as fiscal_year,
        {{ fiscal_quarter('date_day') }} as fiscal_quarter
    from typed
)

select
    date_day,
    cast(
        {{ dbt.dateadd(
            'month',
            "3 * (fiscal_quarter - 1) + " ~ (var('fiscal_year_start_month') | int - 1),
            "cast(cast(fiscal_year as " ~ dbt.type_string() ~ ") || '-01-01' as date)"
        ) }} as date
    ) as fiscal_quarter_start,
    cast(
        {{ dbt.dateadd(
            'month',
            (var('fiscal_year_start_month') | int - 1),
            "cast(cast(fiscal_year as " ~ dbt.type_string() ~ ") || '-01-01' as date)"
        ) }} as date
    ) as fiscal_year_start
from fiscal

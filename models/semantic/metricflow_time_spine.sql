-- One row per day for MetricFlow: it joins metrics to this spine for cumulative windows and for
-- month/quarter/fiscal roll-ups of metric_time. The range covers the var spine_start_date up to
-- ten years ahead, well past any as-of day the warehouse reports.

with

days as (
    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('" ~ var('spine_start_date') ~ "' as date)",
        end_date=dbt.dateadd("year", 10, "current_date")
    ) }}
)

select cast(date_day as date) as date_day
from days

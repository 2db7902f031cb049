{#- Fails with one row per pair of periods of one `partition_by` value that share a day. Periods run from
    `from_column` (inclusive; null = since the beginning) to `to_column` (exclusive; null = still), as macro
    valid_on reads them: where two overlap, a join with valid_on returns two rows for one day. -#}
{% test non_overlapping_periods(model, partition_by, from_column='valid_from_date', to_column='valid_to_date') %}
with

periods as (
    select
        {{ partition_by }} as partition_value,
        {{ from_column }} as valid_from,
        {{ to_column }} as valid_to,
        row_number() over (
            partition by {{ partition_by }}
            order by {{ from_column }} nulls first, {{ to_column }} nulls last
        ) as period_number
    from {{ model }}
)

select
    earlier.partition_value,
    earlier.valid_from as earlier_from,
    earlier.valid_to as earlier_to,
    later.valid_from as later_from,
    later.valid_to as later_to
from periods as earlier
inner join periods as later
    on
        earlier.partition_value = later.partition_value
        and earlier.period_number < later.period_number
        and (earlier.valid_to is null or later.valid_from is null or later.valid_from < earlier.valid_to)
        and (later.valid_to is null or earlier.valid_from is null or earlier.valid_from < later.valid_to)
{% endtest %}

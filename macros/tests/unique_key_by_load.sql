{#-
    Fails with one row per value of `column_name` held more than once (nulls aside), like `unique`.

    When the nightly sets the `checks_after_load` variable (`--vars`; a load id: the event-key checks passed
    on every load up to it, orchestration/cs_warehouse/quality/scope.py), only the keys of later loads are
    looked up among all rows: a semi-join whose cost follows the new load, instead of an aggregate over the whole history. Unset
    (dbt run by hand, CI, other engines, the nightly's periodic full check) it checks every key.
-#}
{% test unique_key_by_load(model, column_name, load_column='_load_id') %}
{%- set after_load = var('checks_after_load', '') %}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where
    {{ column_name }} is not null
    {%- if after_load %}
    and {{ column_name }} in (
        select new_rows.{{ column_name }}
        from {{ model }} as new_rows
        where new_rows.{{ load_column }} > '{{ after_load }}'
    )
    {%- endif %}
group by {{ column_name }}
having count(*) > 1
{% endtest %}

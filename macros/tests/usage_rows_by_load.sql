{#-
    One test for the rules on an incremental usage model's rows: `columns` identify a row (no two rows share
    them, nulls compared as equal), `not_null` columns hold a value, and each column of `accepted_values`
    holds one of its values. Fails with one row per broken rule and the number of offending rows.

    When the nightly sets the `checks_after_load` variable (`--vars`; a load id,
    orchestration/cs_warehouse/quality/scope.py), it reads only the rows a later load wrote (`load_column`: the model's watermark column) and, for the key
    rule, every row sharing a key with them: the check costs what the night wrote, not the history. Unset
    (dbt run by hand, CI, other engines, the nightly's periodic full check) it reads every row.
-#}
{% test usage_rows_by_load(model, columns, load_column, not_null=[], accepted_values={}) %}
{%- set after_load = var('checks_after_load', '') %}
with

{% if after_load %}
new_keys as (
    select distinct {{ columns | join(', ') }}
    from {{ model }}
    where {{ load_column }} > '{{ after_load }}'
),

checked as (
    select checked_rows.*
    from {{ model }} as checked_rows
    inner join new_keys
        on
        {%- for column in columns %}
            checked_rows.{{ column }} is not distinct from new_keys.{{ column }}{% if not loop.last %} and{% endif %}
        {%- endfor %}
),
{% else %}
checked as (
    select * from {{ model }}
),
{% endif %}

duplicates as (
    select {{ columns | join(', ') }}
    from checked
    group by {{ columns | join(', ') }}
    having count(*) > 1
)

select
    'duplicate {{ columns | join(", ") }}' as failure,
    count(*) as n_records
from duplicates
having count(*) > 0
{%- for column in not_null %}
union all
select
    'null {{ column }}' as failure,
    count(*) as n_records
from checked
where {{ column }} is null
having count(*) > 0
{%- endfor %}
{%- for column, values in accepted_values.items() %}
union all
select
    'not accepted {{ column }}' as failure,
    count(*) as n_records
from checked
where {{ column }} not in ({% for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %})
having count(*) > 0
{%- endfor %}
{% endtest %}

{#- True when `day` falls in the validity period of `periods` (a relation or alias with valid_from_date and
    valid_to_date): from valid_from_date inclusive to valid_to_date exclusive, open-ended when that is null.
    The one rule for rates, versions and owners that hold until the next one starts. With open_start, a null
    valid_from_date is open-ended too (a period that holds since the beginning). -#}
{% macro valid_on(periods, day, from_column='valid_from_date', to_column='valid_to_date', open_start=false) -%}
    {% if open_start -%}
    ({{ periods }}.{{ from_column }} is null or {{ day }} >= {{ periods }}.{{ from_column }})
    {%- else -%}
    {{ day }} >= {{ periods }}.{{ from_column }}
    {%- endif %}
    and ({{ periods }}.{{ to_column }} is null or {{ day }} < {{ periods }}.{{ to_column }})
{%- endmacro %}

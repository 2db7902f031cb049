{#- True when `day` falls in the validity period of `periods` (a relation or alias with valid_from_date and
    valid_to_date): from valid_from_date inclusive to valid_to_date exclusive, open-ended when that is null.
    The one rule for rates and versions that hold until the next one starts. -#}
{% macro valid_on(periods, day, from_column='valid_from_date', to_column='valid_to_date') -%}
    {{ day }} >= {{ periods }}.{{ from_column }}
    and ({{ periods }}.{{ to_column }} is null or {{ day }} < {{ periods }}.{{ to_column }})
{%- endmacro %}

{#- Calendar helpers shared by every model that reports by day, month or fiscal period. -#}

{#- The reporting day: var `as_of_date`, else the last complete day, yesterday in the reporting time zone
    (resolved at compile time so that one run reports one consistent day). The nightly always sets the var
    (defs/dbt.py reporting_day: yesterday, or the last day with data when that is earlier). -#}
{% macro as_of_date() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured -%}
        {%- set day = modules.datetime.date.fromisoformat(configured | string) -%}
    {%- else -%}
        {%- set day = modules.datetime.datetime.now(modules.pytz.timezone(var('reporting_timezone'))).date()
            - modules.datetime.timedelta(days=1) -%}
    {%- endif -%}
    cast('{{ day.isoformat() }}' as date)
{%- endmacro %}

{#- Exclusive upper bound for the month spine: the first day of the month after the as-of date's month,
    so that the spine ends with the as-of month. -#}
{% macro spine_end_date() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured -%}
        {%- set day = modules.datetime.date.fromisoformat(configured | string) -%}
    {%- else -%}
        {%- set day = modules.datetime.datetime.now(modules.pytz.timezone(var('reporting_timezone'))).date()
            - modules.datetime.timedelta(days=1) -%}
    {%- endif -%}
    {%- set next_year = day.year + (1 if day.month == 12 else 0) -%}
    {%- set next_month = 1 if day.month == 12 else day.month + 1 -%}
    cast('{{ modules.datetime.date(next_year, next_month, 1).isoformat() }}' as date)
{%- endmacro %}

{#- Last day of the month that starts on `month_start`. -#}
{% macro month_end(month_start) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, month_start)) }} as date)
{%- endmacro %}

{#- Fiscal year, named by the calendar year it starts in (FY2025 = April 2025 to March 2026 by default). -#}
{% macro fiscal_year(date_expr) -%}
    {%- set start = var('fiscal_year_start_month') | int -%}
    {%- if start == 1 -%}
        cast(extract(year from {{ date_expr }}) as integer)
    {%- else -%}
        cast(extract(year from {{ date_expr }}) - case when extract(month from {{ date_expr }}) < {{ start }} then 1 else 0 end as integer)
    {%- endif -%}
{%- endmacro %}

{#- Fiscal quarter 1..4 counted from the fiscal year's first month. -#}
{% macro fiscal_quarter(date_expr) -%}
    {%- set start = var('fiscal_year_start_month') | int -%}
    (cast(floor(mod(cast(extract(month from {{ date_expr }}) as integer) - {{ start }} + 12, 12) / 3) as integer) + 1)
{%- endmacro %}

{#- A UTC timestamp as local time in the reporting zone (engine-specific, hence dispatched). -#}
{% macro to_reporting_time(ts) -%}
    {{ return(adapter.dispatch('to_reporting_time', 'cs_warehouse')(ts)) }}
{%- endmacro %}

{% macro default__to_reporting_time(ts) -%}
    ({{ ts }} at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{% macro duckdb__to_reporting_time(ts) -%}
    timezone('{{ var("reporting_timezone") }}', {{ ts }})
{%- endmacro %}

{% macro spark__to_reporting_time(ts) -%}
    from_utc_timestamp({{ ts }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}

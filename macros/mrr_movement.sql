{#- The one definition of an account-month's MRR movement (docs/kpis.md, "mrr_movements").
    mrr_start = MRR at the end of the previous month, mrr_end = at the end of this month,
    has_paid_before = the account had paid (MRR > 0) at some earlier point.
    is_customer_start / is_customer_end default to "MRR > 0". With `free_plan_is_churn: false` the caller
    passes flags that also hold for a former payer on a free plan, so that paid -> free is a contraction to 0
    instead of a churn, and free -> paid an expansion.
    Reactivation is tested before expansion; months where the account is no customer at either end are null. -#}
{% macro mrr_movement(mrr_start, mrr_end, has_paid_before, is_customer_start=none, is_customer_end=none) -%}
    {%- set start_in = is_customer_start if is_customer_start else '(' ~ mrr_start ~ ' > 0)' -%}
    {%- set end_in = is_customer_end if is_customer_end else '(' ~ mrr_end ~ ' > 0)' -%}
    case
        when not {{ start_in }} and {{ mrr_end }} > 0 and not {{ has_paid_before }} then 'new'
        when not {{ start_in }} and {{ mrr_end }} > 0 then 'reactivation'
        when {{ start_in }} and not {{ end_in }} then 'churn'
        when {{ start_in }} and {{ mrr_end }} > {{ mrr_start }} then 'expansion'
        when {{ start_in }} and {{ mrr_end }} < {{ mrr_start }} then 'contraction'
        when {{ start_in }} then 'unchanged'
    end
{%- endmacro %}

{#- Tenure bands (docs/kpis.md "churn_by_plan_tenure"): each band's upper bound in whole months since the
    first paid month, its label and its sort key; the last band is open-ended. -#}
{% macro tenure_bands() -%}
    {{ return([(3, '0-3'), (6, '4-6'), (12, '7-12'), (24, '13-24'), (none, '25+')]) }}
{%- endmacro %}

{#- Tenure band of an account from whole months since its first paid month. Callers pass the tenure at the
    start of the month. -#}
{% macro tenure_band(tenure_months) -%}
    {{ _tenure_case(tenure_months, 'label') }}
{%- endmacro %}

{#- Sort key of a tenure band (1 for the first), so BI can order the bands without parsing them. -#}
{% macro tenure_band_order(tenure_months) -%}
    {{ _tenure_case(tenure_months, 'order') }}
{%- endmacro %}

{% macro _tenure_case(tenure_months, what) -%}
    case
        when {{ tenure_months }} is null then null
        {%- for upper, label in tenure_bands() %}
        {%- set value = ("'" ~ label ~ "'") if what == 'label' else loop.index %}
        {%- if upper is none %}
        else {{ value }}
        {%- else %}
        when {{ tenure_months }} <= {{ upper }} then {{ value }}
        {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}

{#- Revenue policy settings that need data the raw contract does not carry fail the compile loudly
    instead of being silently ignored. -#}
{% macro check_revenue_settings() -%}
    {%- if var('past_due_churn_after_days', none) is not none -%}
        {{ exceptions.raise_compiler_error(
            "past_due_churn_after_days is set, but the raw contract has no invoice or payment status to "
            ~ "measure days past due; only the default (null: past-due accounts stay active) is supported."
        ) }}
    {%- endif -%}
    {%- if var('free_plan_is_churn') not in [true, false] -%}
        {{ exceptions.raise_compiler_error("free_plan_is_churn must be true or false") }}
    {%- endif -%}
{%- endmacro %}

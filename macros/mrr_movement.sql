{#- The one definition of an account-month's MRR movement (KPI_SPEC.md, "mrr movements").
    mrr_start = MRR at the end of the previous month, mrr_end = at the end of this month,
    has_paid_before = the account had MRR > 0 at the end of some earlier month.
    Reactivation is tested before expansion; both-zero months are null (not a movement). -#}
{% macro mrr_movement(mrr_start, mrr_end, has_paid_before) -%}
    case
        when {{ mrr_start }} = 0 and {{ mrr_end }} > 0 and not {{ has_paid_before }} then 'new'
        when {{ mrr_start }} = 0 and {{ mrr_end }} > 0 then 'reactivation'
        when {{ mrr_start }} > 0 and {{ mrr_end }} = 0 then 'churn'
        when {{ mrr_start }} > 0 and {{ mrr_end }} > {{ mrr_start }} then 'expansion'
        when {{ mrr_start }} > 0 and {{ mrr_end }} < {{ mrr_start }} then 'contraction'
        when {{ mrr_start }} > 0 and {{ mrr_end }} = {{ mrr_start }} then 'unchanged'
    end
{%- endmacro %}

{#- Fails with every row where the MRR bridge does not close exactly:
    end = start + new + reactivation + expansion - contraction - churn (docs/kpis.md "mrr_movements"). -#}
{% test mrr_bridge_holds(
    model,
    mrr_start='mrr_at_start',
    mrr_end='mrr',
    new='new_mrr',
    reactivation='reactivation_mrr',
    expansion='expansion_mrr',
    contraction='contraction_mrr',
    churn='churned_mrr'
) %}
select *
from {{ model }}
where
    {{ mrr_end }} is null
    or {{ mrr_start }} is null
    or {{ mrr_end }} <> {{ mrr_start }} + {{ new }} + {{ reactivation }} + {{ expansion }}
    - {{ contraction }} - {{ churn }}
{% endtest %}

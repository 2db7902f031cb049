-- Feature adoption per feature and month, with the feature's names from the features seed.

select
    adoption.feature_code,
    features.feature_name,
    features.feature_name_ja,
    features.is_core,
    adoption.month_start_date as month,
    months.is_complete,
    cast(adoption.eligible_accounts as integer) as eligible_accounts,
    cast(adoption.adopting_accounts as integer) as adopting_accounts,
    cast(adoption.feature_adoption_rate as {{ type_double() }}) as feature_adoption_rate
from {{ ref('int_usage_feature_adoption_monthly') }} as adoption
inner join {{ ref('features') }} as features on adoption.feature_code = features.feature_code
inner join {{ ref('int_months') }} as months on adoption.month_start_date = months.month_start_date

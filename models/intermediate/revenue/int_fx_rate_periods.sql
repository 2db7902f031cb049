-- Exchange rates to the reporting currency as periods: each rate holds from its valid_from_date until the
-- next rate of the same currency (valid_to_date, exclusive; null for the latest). Every conversion joins
-- here with macro valid_on, so a rate applies by one rule.

select
    currency_code,
    valid_from_date,
    lead(valid_from_date) over (partition by currency_code order by valid_from_date) as valid_to_date,
    rate_to_reporting
from {{ ref('fx_rates') }}

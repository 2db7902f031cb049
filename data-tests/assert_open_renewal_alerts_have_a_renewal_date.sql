-- An open renewal_at_risk alert and the account page read one renewal rule: every account with one has a
-- next_renewal_date in customer_360. Returns the alerts whose account shows none.

select
    alerts.alert_id,
    alerts.account_id
from {{ ref('mart_churn_risk_alerts') }} as alerts
inner join {{ ref('customer_360') }} as account_pages on alerts.account_id = account_pages.account_id
where
    alerts.alert_type = 'renewal_at_risk'
    and alerts.status = 'open'
    and account_pages.next_renewal_date is null

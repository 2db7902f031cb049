-- time_to_first_action, cohort view: per contract-start cohort and milestone, the share of accounts that
-- reached it within 7 / 30 / 90 days (each share over the accounts observed for at least that long) and
-- the median days. Never-reached accounts are censored, not zero: the median is taken over the accounts
-- observed for 90 days with "not within 90 days" ranked last, and is null unless more than half got there
-- (macro time_to_first_action_cohorts, shared with mart_time_to_first_action_user).

{{ time_to_first_action_cohorts(ref('int_usage_account_milestones'), 'accounts') }}

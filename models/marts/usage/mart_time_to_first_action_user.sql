-- time_to_first_action at the user grain, cohort view: per registration-month cohort and milestone, the
-- share of product users that reached it within 7 / 30 / 90 days of registering (each share over the users
-- observed for at least that long, so a user who registered 10 days ago is in neither the 30- nor the
-- 90-day denominator) and the median days. Never-reached users are censored, not zero: the median is taken
-- over the users observed for 90 days with "not within 90 days" ranked last, and is null unless more than
-- half got there. Same rules as the account grain (mart_time_to_first_action).

{{ time_to_first_action_cohorts(ref('int_usage_user_milestones'), 'users') }}

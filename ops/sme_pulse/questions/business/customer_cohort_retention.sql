-- Every cohort (month of a customer's first completed order) and every month since:
-- how many of the cohort bought again that month, as a share of the cohort.
select
    cohort_month,
    months_since_first,
    cohort_customers,
    active_customers,
    retention_pct
from gold.fct_customer_cohorts
order by cohort_month, months_since_first

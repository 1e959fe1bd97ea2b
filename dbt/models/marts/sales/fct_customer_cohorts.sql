{#- Retention by first-order month: one row per (cohort_month, months_since_first) for
    every month from the cohort's first to the last month with sales, zeros included,
    so the grid draws as a heatmap without gaps.

    A customer is a unified customer (int_customers_unified) with a completed order;
    their cohort is the month of their first completed order. Walk-in sales have no
    customer and are not in any cohort; cancelled, pending and refunded orders neither
    start a cohort nor count as a return. `retention_pct` is the share of the cohort
    with a completed order in that month (100 in month 0). -#}

with activity as (

    select customer_key, order_month, sum(net_revenue_vnd) as net_revenue_vnd
    from {{ ref("fct_sales") }}
    where is_revenue and customer_key is not null
    group by customer_key, order_month

),

firsts as (

    select customer_key, min(order_month) as cohort_month
    from activity
    group by customer_key

),

cohorts as (

    select cohort_month, count(*) as cohort_customers
    from firsts
    group by cohort_month

),

month_offsets as (

    {{ month_offsets() }}

),

last_month as (

    select max(order_month) as order_month from activity

),

grid as (

    select
        c.cohort_month,
        c.cohort_customers,
        offsets.n as months_since_first,
        cast({{ dbt.dateadd("month", "offsets.n", "c.cohort_month") }} as date) as order_month
    from cohorts as c
    cross join last_month as lm
    inner join month_offsets as offsets
        on offsets.n <= {{ dbt.datediff("c.cohort_month", "lm.order_month", "month") }}

),

returns as (

    select
        f.cohort_month,
        a.order_month,
        count(*) as active_customers,
        sum(a.net_revenue_vnd) as net_revenue_vnd
    from firsts as f
    inner join activity as a
        on a.customer_key = f.customer_key
    group by f.cohort_month, a.order_month

)

select
    g.cohort_month,
    g.months_since_first,
    g.order_month,
    cast(g.cohort_customers as integer) as cohort_customers,
    cast(coalesce(r.active_customers, 0) as integer) as active_customers,
    cast(coalesce(r.active_customers, 0) as double) * 100 / g.cohort_customers as retention_pct,
    cast(coalesce(r.net_revenue_vnd, 0) as bigint) as net_revenue_vnd
from grid as g
left join returns as r
    on r.cohort_month = g.cohort_month
    and r.order_month = g.order_month

{#- Monthly revenue per customer segment and sales channel, dense: one row per
    (order_month, customer_segment, channel) for every month from the first to the last
    month with sales (month_spine) and every (segment, channel) pair that ever sold, so a
    month without sales is a row of zeros instead of a missing row.

    Segment is the CRM loyalty tier of the order's unified customer as the CRM has it
    today (member, silver, gold, platinum; tier history is in snapshots.snp_customers),
    `not_in_crm` for customers known only from sales, `no_tier` for CRM customers
    without a tier, and `guest` for walk-in sales with no customer details. Revenue as
    in fct_sales: completed lines, net of line discounts, nominal VND. -#}

with sales as (

    select * from {{ ref("fct_sales") }}

),

months as (

    {{ month_spine(ref("fct_sales"), "order_month") }}

),

pairs as (

    select distinct customer_segment, channel
    from sales

),

monthly as (

    select
        order_month,
        customer_segment,
        channel,
        count(distinct order_id) as orders,
        count(distinct case when is_revenue then order_id end) as completed_orders,
        count(distinct case when is_revenue then customer_key end) as identified_customers,
        sum(gmv_vnd) as gmv_vnd,
        sum(net_revenue_vnd) as net_revenue_vnd,
        sum(refunded_vnd) as refunded_vnd
    from sales
    group by order_month, customer_segment, channel

)

select
    m.month_start as order_month,
    p.customer_segment,
    p.channel,
    cast(coalesce(s.orders, 0) as integer) as orders,
    cast(coalesce(s.completed_orders, 0) as integer) as completed_orders,
    cast(coalesce(s.identified_customers, 0) as integer) as identified_customers,
    cast(coalesce(s.gmv_vnd, 0) as bigint) as gmv_vnd,
    cast(coalesce(s.net_revenue_vnd, 0) as bigint) as net_revenue_vnd,
    cast(coalesce(s.refunded_vnd, 0) as bigint) as refunded_vnd,
    case
        when s.completed_orders > 0
            then cast(s.net_revenue_vnd as double) / s.completed_orders
    end as avg_order_value_vnd
from months as m
cross join pairs as p
left join monthly as s
    on s.order_month = m.month_start
    and s.customer_segment = p.customer_segment
    and s.channel = p.channel

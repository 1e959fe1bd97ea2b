{#- Monthly revenue per customer segment and sales channel: one row per (order_month,
    customer_segment, channel) with sales.

    Segment is the CRM loyalty tier of the order's unified customer as the CRM has it
    today (member, silver, gold, platinum; tier history is in snapshots.snp_customers),
    `not_in_crm` for customers known only from sales, `no_tier` for CRM customers
    without a tier, and `guest` for walk-in sales with no customer details. Revenue as
    in fct_sales. -#}

with sales as (

    select * from {{ ref("fct_sales") }}

)

select
    order_month,
    customer_segment,
    channel,
    cast(count(distinct order_id) as integer) as orders,
    cast(count(distinct case when is_revenue then order_id end) as integer) as completed_orders,
    cast(count(distinct case when is_revenue then customer_key end) as integer) as customers,
    cast(sum(gmv_vnd) as bigint) as gmv_vnd,
    cast(sum(net_revenue_vnd) as bigint) as net_revenue_vnd,
    cast(sum(refunded_vnd) as bigint) as refunded_vnd,
    case
        when count(distinct case when is_revenue then order_id end) > 0
            then cast(sum(net_revenue_vnd) as double)
                / count(distinct case when is_revenue then order_id end)
    end as avg_order_value_vnd
from sales
group by order_month, customer_segment, channel

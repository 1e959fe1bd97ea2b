-- Net revenue (VND, nominal; completed lines) and completed orders per customer segment
-- (CRM loyalty tier today, no_tier, not_in_crm, guest) and sales channel, all months.
select
    customer_segment,
    channel,
    cast(sum(completed_orders) as bigint) as completed_orders,
    cast(sum(net_revenue_vnd) as bigint) as net_revenue_vnd
from gold.fct_revenue_by_segment_channel
group by customer_segment, channel
order by net_revenue_vnd desc, customer_segment, channel

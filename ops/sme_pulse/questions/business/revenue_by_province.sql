-- Net revenue (VND, nominal; completed lines after line discounts) by province, history
-- rolled up to the 34 provinces of the July 2025 reform so old and new orders of the same
-- place add up. The province is the one on the order: the store's for POS sales, the
-- buyer's address for online orders; `Không rõ (no address)` for lines without one.
select
    province_name,
    cast(sum(completed_orders) as bigint) as completed_orders,
    cast(sum(net_revenue_vnd) as bigint) as net_revenue_vnd
from gold.fct_sales_monthly_by_province
group by province_name
order by net_revenue_vnd desc, province_name

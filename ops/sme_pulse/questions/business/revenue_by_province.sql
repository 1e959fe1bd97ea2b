-- Net revenue (VND, nominal; completed lines after line discounts) and completed orders by
-- the province of the order's address: the store's for POS sales, the buyer's delivery
-- address for online orders; `Không rõ (no address)` for lines without one. History is
-- rolled up to the 34 provinces of the July 2025 reform so old and new orders of the same
-- place add up.
select
    province_name,
    cast(sum(completed_orders) as bigint) as completed_orders,
    cast(sum(net_revenue_vnd) as bigint) as net_revenue_vnd
from gold.fct_sales_monthly_by_province
group by province_name
order by net_revenue_vnd desc, province_name

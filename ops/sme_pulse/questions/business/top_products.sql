-- The 20 products with the most net revenue (VND, nominal; completed lines after line
-- discounts), all months, with units sold and completed orders.
select
    sku,
    product_name,
    category,
    cast(sum(quantity) as bigint) as units_sold,
    cast(count(distinct order_id) as bigint) as completed_orders,
    cast(sum(net_revenue_vnd) as bigint) as net_revenue_vnd
from gold.fct_sales
where is_revenue
group by sku, product_name, category
order by net_revenue_vnd desc, sku
limit 20

-- Every month of every post-reform province: net revenue (VND, nominal; completed lines
-- after line discounts), completed orders, buying customers and units sold. Newest first.
select
    order_month,
    province_code,
    province_name,
    completed_orders,
    customers,
    units_sold,
    net_revenue_vnd
from gold.fct_sales_monthly_by_province
order by order_month desc, net_revenue_vnd desc, province_code

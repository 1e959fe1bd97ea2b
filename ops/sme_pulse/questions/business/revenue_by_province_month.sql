-- Every month of every province that ever sold (zeros included, so a month without sales
-- shows): net revenue (VND, nominal; completed lines after line discounts), completed
-- orders, identified customers with a completed order, completed guest (walk-in) orders,
-- which have no customer, and units sold. The province is the order's address (the
-- store's for POS, the buyer's for online orders). Newest first.
select
    order_month,
    province_code,
    province_name,
    completed_orders,
    identified_customers,
    guest_completed_orders,
    units_sold,
    net_revenue_vnd
from gold.fct_sales_monthly_by_province
order by order_month desc, net_revenue_vnd desc, province_code

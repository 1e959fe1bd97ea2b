-- Net revenue (VND, completed lines) by province, history rolled up to the 34 provinces of
-- the July 2025 reform so old and new orders of the same place add up.
select
    province_name,
    sum(net_revenue_vnd) as net_revenue_vnd
from iceberg.gold.fct_sales_monthly_by_province
group by province_name
order by net_revenue_vnd desc

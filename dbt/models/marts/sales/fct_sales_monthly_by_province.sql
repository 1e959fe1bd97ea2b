{#- Monthly sales per post-reform province, dense: one row per (order_month,
    province_code) for every month from the first to the last month with sales
    (month_spine) and every province that ever sold, so a month without sales is a row
    of zeros instead of a missing row.

    province_code is one of the 34 provinces of 1 July 2025, or `unknown` for lines with
    no address. The province is the order's address: the store's for POS sales, the
    buyer's delivery address for online channels. History recorded under old codes adds
    up with new orders through int_location_crosswalk (fct_sales.reporting_province_code):
    Bình Dương (74) and Bà Rịa - Vũng Tàu (77) count in Hồ Chí Minh (79) for every month.
    Revenue as in fct_sales: completed lines, net of line discounts, nominal VND.
    `identified_customers` counts unified customers with a completed order; walk-in
    (guest) sales have none and are counted in `guest_completed_orders`. -#}

with sales as (

    select
        order_month,
        coalesce(reporting_province_code, 'unknown') as province_code,
        coalesce(reporting_province_name, 'Không rõ (no address)') as province_name,
        province_code as recorded_province_code,
        order_id,
        is_revenue,
        customer_key,
        quantity,
        gmv_vnd,
        net_revenue_vnd,
        refunded_vnd
    from {{ ref("fct_sales") }}

),

months as (

    {{ month_spine(ref("fct_sales"), "order_month") }}

),

provinces as (

    select distinct province_code, province_name
    from sales

),

monthly as (

    select
        order_month,
        province_code,
        count(distinct recorded_province_code) as recorded_province_codes,
        count(distinct order_id) as orders,
        count(distinct case when is_revenue then order_id end) as completed_orders,
        count(distinct case when is_revenue and customer_key is null then order_id end)
            as guest_completed_orders,
        count(*) as order_lines,
        sum(case when is_revenue then quantity else 0 end) as units_sold,
        count(distinct case when is_revenue then customer_key end) as identified_customers,
        sum(gmv_vnd) as gmv_vnd,
        sum(net_revenue_vnd) as net_revenue_vnd,
        sum(refunded_vnd) as refunded_vnd
    from sales
    group by order_month, province_code

)

select
    m.month_start as order_month,
    p.province_code,
    p.province_name,
    cast(coalesce(s.recorded_province_codes, 0) as integer) as recorded_province_codes,
    cast(coalesce(s.orders, 0) as integer) as orders,
    cast(coalesce(s.completed_orders, 0) as integer) as completed_orders,
    cast(coalesce(s.guest_completed_orders, 0) as integer) as guest_completed_orders,
    cast(coalesce(s.order_lines, 0) as integer) as order_lines,
    cast(coalesce(s.units_sold, 0) as bigint) as units_sold,
    cast(coalesce(s.identified_customers, 0) as integer) as identified_customers,
    cast(coalesce(s.gmv_vnd, 0) as bigint) as gmv_vnd,
    cast(coalesce(s.net_revenue_vnd, 0) as bigint) as net_revenue_vnd,
    cast(coalesce(s.refunded_vnd, 0) as bigint) as refunded_vnd
from months as m
cross join provinces as p
left join monthly as s
    on s.order_month = m.month_start
    and s.province_code = p.province_code

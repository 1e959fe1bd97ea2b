{#- Monthly sales per post-reform province: one row per (order_month, province_code) where
    province_code is one of the 34 provinces of 1 July 2025, or `unknown` for lines with
    no address. History recorded under old codes adds up with new orders through
    int_location_crosswalk (fct_sales.reporting_province_code): Bình Dương (74) and
    Bà Rịa - Vũng Tàu (77) count in Hồ Chí Minh (79) for every month. Revenue as in
    fct_sales: completed lines, net of line discounts. -#}

select
    order_month,
    coalesce(reporting_province_code, 'unknown') as province_code,
    coalesce(reporting_province_name, 'Không rõ (no address)') as province_name,
    cast(count(distinct province_code) as integer) as recorded_province_codes,
    cast(count(distinct order_id) as integer) as orders,
    cast(count(distinct case when is_revenue then order_id end) as integer) as completed_orders,
    cast(count(*) as integer) as order_lines,
    cast(sum(case when is_revenue then quantity else 0 end) as bigint) as units_sold,
    cast(count(distinct case when is_revenue then customer_key end) as integer) as customers,
    cast(sum(gmv_vnd) as bigint) as gmv_vnd,
    cast(sum(net_revenue_vnd) as bigint) as net_revenue_vnd,
    cast(sum(refunded_vnd) as bigint) as refunded_vnd
from {{ ref("fct_sales") }}
group by
    order_month,
    coalesce(reporting_province_code, 'unknown'),
    coalesce(reporting_province_name, 'Không rõ (no address)')

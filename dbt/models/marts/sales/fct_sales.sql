{#- Sales at order-line grain: every committed line, with its customer and its location.

    Revenue (`net_revenue_vnd`) is the line total (after the line's discount, VND) of
    lines whose status is `completed`. `cancelled` and `pending` lines count 0: the
    sale did not happen or has not happened yet. A `refunded` line also counts 0: silver
    keeps one row per line with its latest status, so the refund and the sale it undoes
    are the same row and net to nothing; its amount is kept in `refunded_vnd`.
    `gmv_vnd` is the line total whatever the status.

    Location: the dim_location version valid on the order date (district when the
    order names one, else province; macros/location_on_order_date.sql). The reporting
    province is the post-reform one from int_location_crosswalk, so the roll-ups add
    old and new codes together; lines without an address have none (`unknown` in the
    roll-ups). Customer: the unified customer of the order's reference; walk-in sales
    have none and are segment `guest`. -#}

{#- On Trino an Iceberg table partitioned by month and sorted by date inside each file:
    analysts filter and group by month, so a query reads only the months it asks for. -#}
{{ config(
    properties=(
        {"partitioning": "ARRAY['month(order_date)']", "sorted_by": "ARRAY['order_date']"}
        if target.type == "trino" else {}
    ),
) }}

with lines as (

    select * from {{ ref("stg_sales_order_lines") }}

),

orders as (

    select order_id, customer_ref_key from {{ ref("stg_sales_orders") }}

),

customers as (

    select source_ref, customer_key, crm_customer_id, match_method, match_confidence, loyalty_tier
    from {{ ref("int_customers_unified") }}
    where source_system = 'sales'

)

select
    l.order_line_key,
    l.order_id,
    l.line_no,
    l.order_ts_utc,
    l.order_date,
    cast({{ dbt.date_trunc("month", "l.order_date") }} as date) as order_month,
    cast(extract(year from l.order_date) as integer) as order_year,
    l.channel,
    l.status,
    l.status = 'completed' as is_revenue,
    l.store_id,
    l.payment_method,
    c.customer_key,
    c.crm_customer_id,
    coalesce(c.match_method, 'none') as customer_match_method,
    c.match_confidence as customer_match_confidence,
    case
        when c.customer_key is null then 'guest'
        when c.loyalty_tier is not null then c.loyalty_tier
        when c.crm_customer_id is not null then 'no_tier'
        else 'not_in_crm'
    end as customer_segment,
    l.admin_version,
    l.province_code,
    l.district_code,
    {{ location_key("l") }} as location_key,
    xw.new_province_code as reporting_province_code,
    xw.new_province_name as reporting_province_name,
    l.sku,
    l.product_name,
    l.category,
    l.quantity,
    l.unit_price_vnd,
    l.discount_vnd,
    l.line_total_vnd,
    l.line_total_vnd as gmv_vnd,
    case when l.status = 'completed' then l.line_total_vnd else 0 end as net_revenue_vnd,
    case when l.status = 'refunded' then l.line_total_vnd else 0 end as refunded_vnd,
    l.source_file,
    l.loaded_at
from lines as l
inner join orders as o
    on o.order_id = l.order_id
left join customers as c
    on c.source_ref = o.customer_ref_key
left join {{ ref("int_location_crosswalk") }} as xw
    on xw.admin_version = l.admin_version
    and xw.province_code = l.province_code
{{ location_on_order_date_joins("l", "l.order_date") }}

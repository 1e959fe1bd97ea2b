{#- Sales at order-line grain: every committed line, with its customer and its location.

    Revenue (`net_revenue_vnd`) is the line total (after the line's discount, VND) of
    lines whose status is `completed`. `cancelled` and `pending` lines count 0: the
    sale did not happen or has not happened yet. A `refunded` line also counts 0: silver
    keeps one row per line with its latest status, so the refund and the sale it undoes
    are the same row and net to nothing; its amount is kept in `refunded_vnd`.
    `gmv_vnd` is the line total whatever the status.

    Partial orders (int_sales_lines_counted): an export order with a quarantined line
    is counted whole or not at all. A line whose broken time or address its order's
    other lines prove is repaired and counted (`line_repair` says how); any other
    quarantined line holds its whole order back, and gold.fct_revenue_held_back shows
    that revenue beside what is reported here.

    Location: the dim_location version valid on the order date (district when the
    order names one, else province; macros/location_on_order_date.sql). The reporting
    province is the post-reform one from int_location_crosswalk, so the roll-ups add
    old and new codes together; lines without an address have none (`unknown` in the
    roll-ups). Customer: the order's person from all its lines (int_order_customers:
    CRM ids, emails and phones linked transitively, quarantined CRM records included);
    walk-in sales have none and are segment `guest`, a person the CRM does not know is
    `not_in_crm`.

    Streamed orders (int_stream_lines_counted: each order in the state of its latest
    event, only when no export carries its id, counted or held back) sit beside the
    exported ones, with `source_file` = 'kafka://<topic>', so no order is counted twice
    and a held-back order does not come back through the stream. Streamed orders'
    references join the same identity graph as the exports'. -#}

{#- On Trino an Iceberg table partitioned by month and sorted by date inside each file:
    analysts filter and group by month, so a query reads only the months it asks for. -#}
{{ config(
    properties=(
        {"partitioning": "ARRAY['month(order_date)']", "sorted_by": "ARRAY['order_date']"}
        if target.type == "trino" else {}
    ),
) }}

{%- set line_columns = [
    "order_line_key", "order_id", "line_no", "order_ts_utc", "order_date", "channel",
    "status", "store_id", "payment_method", "admin_version", "province_code",
    "district_code", "sku", "product_name", "category", "quantity", "unit_price_vnd",
    "discount_vnd", "line_total_vnd", "loaded_at",
] %}

with export_lines as (

    select * from {{ ref("int_sales_lines_counted") }}

),

streamed_lines as (

    select * from {{ ref("int_stream_lines_counted") }}

),

lines as (

    select {{ line_columns | join(", ") }}, source_file, line_repair
    from export_lines

    union all

    select
        {{ line_columns | join(", ") }},
        {{ dbt.concat(["'kafka://'", "kafka_topic"]) }} as source_file,
        cast(null as varchar) as line_repair
    from streamed_lines

),

resolved as (

    select order_id, customer_key, crm_customer_id, match_method, match_confidence, loyalty_tier
    from {{ ref("int_order_customers") }}

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
    c.match_method as customer_match_method,
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
    l.line_repair,
    l.source_file,
    l.loaded_at
from lines as l
inner join resolved as c
    on c.order_id = l.order_id
left join {{ ref("int_location_crosswalk") }} as xw
    on xw.admin_version = l.admin_version
    and xw.province_code = l.province_code
{{ location_on_order_date_joins("l", "l.order_date") }}

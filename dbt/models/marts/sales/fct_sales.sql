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
    have none and are segment `guest`.

    Streamed orders (int_stream_order_lines: each order in the state of its latest
    event) sit beside the exported ones, with `source_file` = 'kafka://<topic>'. An
    order id that an export also carries is the export's alone: exports are the shop's
    books, reconciled and corrected as files, while events are the live view of the
    same orders, so the export replaces the stream for every order it covers and no
    order is counted twice. A streamed customer reference that no export carries is
    resolved by its CRM id only (an unresolved one is segment `not_in_crm`, match
    `unmatched`). -#}

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

    select * from {{ ref("stg_sales_order_lines") }}

),

export_orders as (

    select order_id, customer_ref_key from {{ ref("stg_sales_orders") }}

),

streamed_lines as (

    select streamed.*
    from {{ ref("int_stream_order_lines") }} as streamed
    left join export_orders
        on export_orders.order_id = streamed.order_id
    where export_orders.order_id is null

),

lines as (

    select {{ line_columns | join(", ") }}, source_file
    from export_lines

    union all

    select
        {{ line_columns | join(", ") }},
        {{ dbt.concat(["'kafka://'", "kafka_topic"]) }} as source_file
    from streamed_lines

),

orders as (

    select order_id, customer_ref_key, cast(null as varchar) as streamed_customer_id
    from export_orders

    union all

    select distinct order_id, customer_ref_key, customer_id as streamed_customer_id
    from streamed_lines

),

customers as (

    select source_ref, customer_key, crm_customer_id, match_method, match_confidence, loyalty_tier
    from {{ ref("int_customers_unified") }}
    where source_system = 'sales'

),

crm_customers as (

    select source_ref, customer_key, crm_customer_id, loyalty_tier
    from {{ ref("int_customers_unified") }}
    where source_system = 'crm'

),

resolved as (

    {#- An export's reference is always among the unified sales references. A streamed
        order's is when an export carries the same reference; otherwise its CRM id is
        looked up among the CRM customers. -#}
    select
        o.order_id,
        o.customer_ref_key,
        coalesce(c.customer_key, crm.customer_key) as customer_key,
        coalesce(c.crm_customer_id, crm.crm_customer_id) as crm_customer_id,
        case when c.customer_key is null and crm.customer_key is not null then 'customer_id'
            else c.match_method end as match_method,
        case when c.customer_key is null and crm.customer_key is not null then cast(1.0 as double)
            else c.match_confidence end as match_confidence,
        coalesce(c.loyalty_tier, crm.loyalty_tier) as loyalty_tier
    from orders as o
    left join customers as c
        on c.source_ref = o.customer_ref_key
    left join crm_customers as crm
        on c.customer_key is null
        and crm.source_ref = o.streamed_customer_id

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
    coalesce(c.match_method, case when c.customer_ref_key is null then 'none' else 'unmatched' end)
        as customer_match_method,
    c.match_confidence as customer_match_confidence,
    case
        when c.customer_key is null and c.customer_ref_key is not null then 'not_in_crm'
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
inner join resolved as c
    on c.order_id = l.order_id
left join {{ ref("int_location_crosswalk") }} as xw
    on xw.admin_version = l.admin_version
    and xw.province_code = l.province_code
{{ location_on_order_date_joins("l", "l.order_date") }}

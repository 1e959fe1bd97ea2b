{#- The export lines gold counts: one row per order line (`order_id`, `line_no`), the
    columns of stg_sales_order_lines plus `line_repair`.

    Partial-order policy (never count half an order): an order with a quarantined line
    that is neither superseded by a committed copy nor repaired from its own order is
    held back whole (int_sales_held_back_orders), so none of its committed lines are
    here. Every other order counts with its committed lines plus its repaired lines
    (int_sales_quarantine_outcomes: the time or address taken from the order's other
    lines), marked by `line_repair`; a committed line has none. For a repaired line
    `bronze_copies` counts its quarantined copies and the file columns name the copy
    that was repaired. -#}

{%- set line_columns = [
    "order_line_key", "order_id", "line_no", "order_ts_utc", "order_date", "admin_version",
    "channel", "status", "store_id", "customer_id", "customer_name", "customer_email",
    "email_normalized", "customer_phone", "phone_normalized", "province_code",
    "district_code", "sku", "product_name", "category", "quantity", "unit_price_vnd",
    "discount_vnd", "line_total_vnd", "gross_amount_vnd", "currency", "payment_method",
    "source_file", "source_file_sha256", "source_row_number",
] %}

with silver_lines as (

    select * from {{ ref("stg_sales_order_lines") }}

),

outcomes as (

    select * from {{ ref("int_sales_quarantine_outcomes") }}

),

held_back as (

    select distinct order_id
    from outcomes
    where outcome = 'held_back'

),

committed as (

    select
        {{ line_columns | join(", ") }},
        bronze_copies,
        loaded_at,
        run_id,
        cast(null as varchar) as line_repair
    from silver_lines
    where order_id not in (select order_id from held_back)

),

repaired as (

    select
        {{ line_columns | join(", ") }},
        quarantine_copies as bronze_copies,
        loaded_at,
        run_id,
        line_repair
    from outcomes
    where outcome = 'repaired'
        and order_id not in (select order_id from held_back)

)

select * from committed
union all
select * from repaired

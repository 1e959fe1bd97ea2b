{#- The customer references of every order: one row per (order_id, customer_ref_key).

    Read from ALL lines of an order, not its first: a till that writes the CRM id on one
    line and the buyer's phone on another gives the order two references, and identity
    resolution links them (int_customer_identity_graph). Exported orders are the lines
    gold counts (int_sales_lines_counted: repaired lines in, held-back orders out);
    streamed orders only when no export carries the order id (int_stream_lines_counted,
    which fct_sales reads too). Lines with
    no CRM id, usable email or usable phone (walk-in sales, placeholder contacts) carry
    no reference; an order none of whose lines carries one has a single row with a null
    `customer_ref_key`, so every order is here. Kept at reference grain, not line grain,
    so the identity graph stays small. -#}

with export_lines as (

    select
        order_id,
        order_date,
        customer_id,
        customer_name,
        email_normalized,
        phone_normalized,
        {{ customer_ref_key("l") }} as customer_ref_key
    from {{ ref("int_sales_lines_counted") }} as l

),

streamed_lines as (

    select
        l.order_id,
        l.order_date,
        l.customer_id,
        l.customer_name,
        l.email_normalized,
        l.phone_normalized,
        l.customer_ref_key
    from {{ ref("int_stream_lines_counted") }} as l

),

all_lines as (

    select *, 'export' as order_source from export_lines
    union all
    select *, 'stream' as order_source from streamed_lines

),

order_refs as (

    select
        order_id,
        customer_ref_key,
        customer_id,
        email_normalized,
        phone_normalized,
        max(customer_name) as customer_name,
        min(order_date) as order_date,
        min(order_source) as order_source,
        count(customer_ref_key) over (partition by order_id) as order_references
    from all_lines
    group by order_id, customer_ref_key, customer_id, email_normalized, phone_normalized

)

select
    order_id,
    customer_ref_key,
    customer_id,
    email_normalized,
    phone_normalized,
    customer_name,
    order_date,
    order_source
from order_refs
where customer_ref_key is not null or order_references = 0

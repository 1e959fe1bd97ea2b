{#- One row per order, derived from its lines (exports are line grain).

    The header (time, channel, status, customer, address) is repeated on every line; it
    is taken from the most recently loaded line, so a corrected export that changes an
    order's status wins. `header_conflicts` counts header fields on which the lines
    disagree (0 for a clean order); a test reports orders where it is not 0.

    `customer_ref_key` identifies the customer reference on the header line (CRM id,
    email, phone as normalised at ingestion); null when that line has none of the three.
    The order's customer is resolved from the references of all its lines
    (int_order_references, int_order_customers), not from this one.

    Incremental: an order's lines change only through a load of a file that holds it, so
    a daily run recomputes the orders of the files loaded since the last run and
    replaces just those. After a corrected export it recomputes every order, as
    stg_sales_order_lines does, and the post-hook deletes orders left with no line.
    `--full-refresh` rebuilds all. -#}
{{ config(
    materialized="incremental",
    unique_key="order_id",
    incremental_strategy=("merge" if target.type == "trino" else "delete+insert"),
    on_schema_change="fail",
    post_hook=["{{ delete_orders_without_lines() }}"],
) }}

{% set daily = is_incremental() and not corrected_since_last_run() %}
{% if daily %}
with touched as (

    select distinct bronze_lines.order_id
    from {{ source("bronze_sales", "order_lines") }} as bronze_lines
    inner join {{ source("bronze_sales", "load_manifest") }} as manifest
        on manifest.source_file = bronze_lines.source_file
    where manifest.loaded_at > (select max(loaded_at) from {{ this }})

),

lines as (
{% else %}
with lines as (
{% endif %}

    select
        current_lines.*,
        row_number() over (
            partition by current_lines.order_id
            order by current_lines.loaded_at desc, current_lines.line_no
        ) as header_rank
    from {{ ref("stg_sales_order_lines") }} as current_lines
    {% if daily %}
    inner join touched
        on touched.order_id = current_lines.order_id
    {% endif %}

),

totals as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as quantity,
        sum(gross_amount_vnd) as gross_amount_vnd,
        sum(discount_vnd) as discount_vnd,
        sum(line_total_vnd) as order_total_vnd,
        (count(distinct order_ts_utc) - 1)
        + (count(distinct channel) - 1)
        + (count(distinct status) - 1)
        + (count(distinct coalesce(customer_id, '')) - 1)
        + (count(distinct coalesce(province_code, '')) - 1) as header_conflicts
    from lines
    group by order_id

)

select
    h.order_id,
    h.order_ts_utc,
    h.order_date,
    cast({{ dbt.date_trunc("month", "h.order_date") }} as date) as order_month,
    h.admin_version,
    h.channel,
    h.status,
    h.store_id,
    h.customer_id,
    h.customer_name,
    h.email_normalized,
    h.phone_normalized,
    {{ customer_ref_key("h") }} as customer_ref_key,
    h.province_code,
    h.district_code,
    h.payment_method,
    cast(t.line_count as integer) as line_count,
    cast(t.quantity as bigint) as quantity,
    cast(t.gross_amount_vnd as bigint) as gross_amount_vnd,
    cast(t.discount_vnd as bigint) as discount_vnd,
    cast(t.order_total_vnd as bigint) as order_total_vnd,
    cast(t.header_conflicts as integer) as header_conflicts,
    h.source_file,
    h.loaded_at
from lines as h
inner join totals as t
    on t.order_id = h.order_id
where h.header_rank = 1

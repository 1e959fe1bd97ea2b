{#- One row per order line (`order_id`, `line_no`), from committed loads only.

    Bronze parts count when the load manifest names their file version: parts of a load
    still being written, or of a version a corrected file superseded, are not read.
    Exports repeat lines (the same line twice in a file, or again in a later file); the
    most recently loaded copy wins, then the later file and row, and `bronze_copies`
    says how many copies there were so deduplication stays visible. -#}

with committed as (

    select lines.*
    from {{ source("bronze_sales", "order_lines") }} as lines
    inner join {{ source("bronze_sales", "load_manifest") }} as manifest
        on manifest.source_file = lines.source_file
        and manifest.source_file_sha256 = lines.source_file_sha256

),

ranked as (

    select
        *,
        row_number() over (
            partition by order_id, line_no
            order by loaded_at desc, source_file desc, source_row_number desc
        ) as recency,
        count(*) over (partition by order_id, line_no) as bronze_copies
    from committed

)

select
    {{ dbt.hash(dbt.concat(["order_id", "'|'", "cast(line_no as varchar)"])) }} as order_line_key,
    order_id,
    cast(line_no as integer) as line_no,
    order_ts_utc,
    order_date_local as order_date,
    admin_version,
    channel,
    status,
    store_id,
    customer_id,
    customer_name,
    lower(trim(customer_email)) as customer_email,
    email_normalized,
    customer_phone,
    phone_normalized,
    province_code,
    district_code,
    sku,
    product_name,
    category,
    cast(quantity as integer) as quantity,
    cast(unit_price_vnd as bigint) as unit_price_vnd,
    cast(discount_vnd as bigint) as discount_vnd,
    cast(line_total_vnd as bigint) as line_total_vnd,
    cast(quantity as bigint) * cast(unit_price_vnd as bigint) as gross_amount_vnd,
    currency,
    payment_method,
    source_file,
    source_file_sha256,
    source_row_number,
    cast(bronze_copies as integer) as bronze_copies,
    loaded_at,
    run_id
from ranked
where recency = 1

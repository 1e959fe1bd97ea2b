{#- One row per order line (`order_id`, `line_no`), from committed loads only.

    Bronze parts count when the load manifest names their file version: parts of a load
    still being written, or of a version a corrected file superseded, are not read.
    Exports repeat lines (the same line twice in a file, or again in a later file); the
    most recently loaded copy wins, then the later file and row, and `bronze_copies`
    says how many copies there were so deduplication stays visible.

    Incremental: a line's copies change only through a load of a file that holds it, so
    a daily run re-ranks the lines of the files loaded since the last run (new lines,
    lines exported again) over all their committed copies and replaces just those: it
    costs in proportion to the new data and picks the same winner and copy count as a
    full build. A corrected export (macros/corrected_since_last_run.sql) makes the run
    re-rank every line, and the post-hook deletes lines left with no committed copy.
    `dbt build --full-refresh` rebuilds from all of bronze. -#}
{{ config(
    materialized="incremental",
    unique_key=["order_id", "line_no"],
    incremental_strategy=("merge" if target.type == "trino" else "delete+insert"),
    on_schema_change="fail",
    post_hook=["{{ delete_uncommitted_lines() }}"],
) }}

with committed as (

    select lines.*
    from {{ source("bronze_sales", "order_lines") }} as lines
    inner join {{ source("bronze_sales", "load_manifest") }} as manifest
        on manifest.source_file = lines.source_file
        and manifest.source_file_sha256 = lines.source_file_sha256

),

{% if is_incremental() and not corrected_since_last_run() %}
touched as (

    select distinct bronze_lines.order_id, bronze_lines.line_no
    from {{ source("bronze_sales", "order_lines") }} as bronze_lines
    inner join {{ source("bronze_sales", "load_manifest") }} as manifest
        on manifest.source_file = bronze_lines.source_file
    where manifest.loaded_at > (select max(loaded_at) from {{ this }})

),

candidates as (

    select committed.*
    from committed
    inner join touched
        on touched.order_id = committed.order_id
        and touched.line_no = committed.line_no

),
{% else %}
candidates as (

    select * from committed

),
{% endif %}

ranked as (

    select
        *,
        row_number() over (
            partition by order_id, line_no
            order by loaded_at desc, source_file desc, source_row_number desc
        ) as recency,
        count(*) over (partition by order_id, line_no) as bronze_copies
    from candidates

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

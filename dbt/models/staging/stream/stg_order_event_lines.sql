{#- One row per streamed event and order line, each event once (deduplicated by `event_id`).

    A producer that retries publishes the same event again at another offset: the copy
    published first (lowest partition and offset) is kept with all its lines, and
    `published_copies` says how many copies arrived so deduplication stays visible.
    Bronze itself never holds a message twice (parts are named by offsets).

    Until the first batch of events lands, the bronze folder does not exist: on DuckDB
    the model then reads no rows, with the same columns (macros/quarantined_rows.sql,
    `lake_files_exist`); Trino's table over an empty location reads as empty. -#}
{%- set bronze = source("bronze_stream", "order_events") %}

with events as (

    {% if lake_files_exist(bronze) -%}
    select * from {{ bronze }}
    {%- else -%}
    select
        cast(null as varchar) as event_id,
        cast(null as varchar) as event_type,
        cast(null as timestamp with time zone) as event_ts_utc,
        cast(null as varchar) as order_id,
        cast(null as integer) as line_no,
        cast(null as timestamp with time zone) as order_ts_utc,
        cast(null as date) as order_date_local,
        cast(null as varchar) as admin_version,
        cast(null as varchar) as channel,
        cast(null as varchar) as status,
        cast(null as varchar) as store_id,
        cast(null as varchar) as customer_id,
        cast(null as varchar) as customer_name,
        cast(null as varchar) as customer_email,
        cast(null as varchar) as customer_phone,
        cast(null as varchar) as email_normalized,
        cast(null as varchar) as phone_normalized,
        cast(null as varchar) as province_code,
        cast(null as varchar) as district_code,
        cast(null as varchar) as sku,
        cast(null as varchar) as product_name,
        cast(null as varchar) as category,
        cast(null as integer) as quantity,
        cast(null as bigint) as unit_price_vnd,
        cast(null as bigint) as discount_vnd,
        cast(null as bigint) as line_total_vnd,
        cast(null as varchar) as currency,
        cast(null as varchar) as payment_method,
        cast(null as varchar) as kafka_topic,
        cast(null as integer) as kafka_partition,
        cast(null as bigint) as kafka_offset,
        cast(null as timestamp with time zone) as kafka_ts_utc,
        cast(null as timestamp with time zone) as loaded_at
    where 1 = 0
    {%- endif %}

),

messages as (

    select distinct event_id, kafka_partition, kafka_offset
    from events

),

ranked_messages as (

    select
        event_id,
        kafka_partition,
        kafka_offset,
        row_number() over (
            partition by event_id order by kafka_partition, kafka_offset
        ) as copy_rank,
        count(*) over (partition by event_id) as published_copies
    from messages

)

select
    {{ dbt.hash(dbt.concat(["e.event_id", "'|'", "cast(e.line_no as varchar)"])) }} as event_line_key,
    e.event_id,
    e.event_type,
    e.event_ts_utc,
    e.order_id,
    cast(e.line_no as integer) as line_no,
    e.order_ts_utc,
    e.order_date_local as order_date,
    e.admin_version,
    e.channel,
    e.status,
    e.store_id,
    e.customer_id,
    e.customer_name,
    lower(trim(e.customer_email)) as customer_email,
    e.email_normalized,
    e.customer_phone,
    e.phone_normalized,
    e.province_code,
    e.district_code,
    e.sku,
    e.product_name,
    e.category,
    cast(e.quantity as integer) as quantity,
    cast(e.unit_price_vnd as bigint) as unit_price_vnd,
    cast(e.discount_vnd as bigint) as discount_vnd,
    cast(e.line_total_vnd as bigint) as line_total_vnd,
    cast(e.quantity as bigint) * cast(e.unit_price_vnd as bigint) as gross_amount_vnd,
    e.currency,
    e.payment_method,
    e.kafka_topic,
    cast(e.kafka_partition as integer) as kafka_partition,
    cast(e.kafka_offset as bigint) as kafka_offset,
    cast(m.published_copies as integer) as published_copies,
    e.loaded_at
from events as e
inner join ranked_messages as m
    on m.event_id = e.event_id
    and m.kafka_partition = e.kafka_partition
    and m.kafka_offset = e.kafka_offset
where m.copy_rank = 1

{#- One row per order event (deduplicated by `event_id` in stg_order_event_lines): what
    happened to which order, when, and where the kept copy sat in Kafka. The event's
    order header is the same on each of its lines; `line_count` counts them. -#}

with lines as (

    select * from {{ ref("stg_order_event_lines") }}

)

select
    event_id,
    event_type,
    event_ts_utc,
    order_id,
    status as order_status,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    published_copies,
    cast(count(*) as integer) as line_count,
    loaded_at
from lines
group by
    event_id,
    event_type,
    event_ts_utc,
    order_id,
    status,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    published_copies,
    loaded_at

{#- The latest state of every streamed order, at order-line grain, shaped like
    stg_sales_order_lines so the sales facts can take both.

    Events arrive duplicated, out of order and late; each carries the whole order, so
    the order's state is its latest event's: the one with the latest event time, then
    the furthest in the order's life at equal times (refunded, cancelled, paid, created),
    then the latest offset. Publish order plays no part: a `created` arriving after its
    `paid` does not turn a completed order back into a pending one. -#}

with events as (

    select * from {{ ref("stg_order_events") }}

),

lines as (

    select * from {{ ref("stg_order_event_lines") }}

),

ranked as (

    select
        event_id,
        order_id,
        event_type,
        event_ts_utc,
        row_number() over (
            partition by order_id
            order by
                event_ts_utc desc,
                case event_type
                    when 'refunded' then 4
                    when 'cancelled' then 3
                    when 'paid' then 2
                    else 1
                end desc,
                kafka_partition desc,
                kafka_offset desc
        ) as recency,
        count(*) over (partition by order_id) as order_events
    from events

),

latest as (

    select event_id, event_type, event_ts_utc, order_events
    from ranked
    where recency = 1

)

select
    {{ dbt.hash(dbt.concat(["l.order_id", "'|'", "cast(l.line_no as varchar)"])) }} as order_line_key,
    l.order_id,
    l.line_no,
    l.order_ts_utc,
    l.order_date,
    l.admin_version,
    l.channel,
    l.status,
    l.store_id,
    l.customer_id,
    l.customer_name,
    l.customer_email,
    l.email_normalized,
    l.customer_phone,
    l.phone_normalized,
    l.province_code,
    l.district_code,
    l.sku,
    l.product_name,
    l.category,
    l.quantity,
    l.unit_price_vnd,
    l.discount_vnd,
    l.line_total_vnd,
    l.gross_amount_vnd,
    l.currency,
    l.payment_method,
    {{ customer_ref_key("l") }} as customer_ref_key,
    latest.event_id as last_event_id,
    latest.event_type as last_event_type,
    latest.event_ts_utc as last_event_ts_utc,
    cast(latest.order_events as integer) as order_events,
    l.kafka_topic,
    l.loaded_at
from lines as l
inner join latest
    on latest.event_id = l.event_id

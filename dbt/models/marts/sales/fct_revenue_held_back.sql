{#- Revenue reported beside revenue held back in quarantine: one row per (order_month,
    channel) that has sales in fct_sales or a held-back order.

    Reported: completed net revenue (VND, after line discounts) of fct_sales, exported
    and streamed lines, including the repaired lines, which are also shown on their own.
    Held back: the export orders the partial-order policy keeps out of gold whole
    (int_sales_held_back_orders), by the date and channel their lines carry; their
    completed revenue counts only lines whose amount and status passed the contract,
    and the lines whose amount is unknown are counted beside it. A held-back order
    whose date or channel never parsed is in the row with a null month or channel. -#}

with sales as (

    select * from {{ ref("fct_sales") }}

),

held_back_orders as (

    select * from {{ ref("int_sales_held_back_orders") }}

),

reported as (

    select
        order_month,
        channel,
        sum(net_revenue_vnd) as reported_net_revenue_vnd,
        sum(case when line_repair is not null then 1 else 0 end) as repaired_lines,
        sum(case when line_repair is not null then net_revenue_vnd else 0 end)
            as repaired_net_revenue_vnd
    from sales
    group by order_month, channel

),

held_back as (

    select
        order_month,
        channel,
        count(*) as orders_held_back,
        sum(lines_held_back) as lines_held_back,
        sum(lines_amount_unknown) as lines_amount_unknown,
        sum(completed_revenue_known_vnd) as held_back_net_revenue_vnd
    from held_back_orders
    group by order_month, channel

),

periods as (

    select order_month, channel from reported
    union
    select order_month, channel from held_back

)

select
    p.order_month,
    cast(extract(year from p.order_month) as integer) as order_year,
    p.channel,
    cast(coalesce(r.reported_net_revenue_vnd, 0) as bigint) as reported_net_revenue_vnd,
    cast(coalesce(h.held_back_net_revenue_vnd, 0) as bigint) as held_back_net_revenue_vnd,
    cast(coalesce(h.orders_held_back, 0) as integer) as orders_held_back,
    cast(coalesce(h.lines_held_back, 0) as integer) as lines_held_back,
    cast(coalesce(h.lines_amount_unknown, 0) as integer) as lines_amount_unknown,
    cast(coalesce(r.repaired_lines, 0) as integer) as repaired_lines,
    cast(coalesce(r.repaired_net_revenue_vnd, 0) as bigint) as repaired_net_revenue_vnd
from periods as p
left join reported as r
    on r.order_month is not distinct from p.order_month
    and r.channel is not distinct from p.channel
left join held_back as h
    on h.order_month is not distinct from p.order_month
    and h.channel is not distinct from p.channel

{#- One row per export order held back from gold by the partial-order policy: at least
    one of its quarantined lines is neither superseded by a committed copy nor repaired
    from the order's own lines (int_sales_quarantine_outcomes), so none of its lines
    count: half an order is never counted.

    `hold_back_reason` is the contract reason of its first such line (by line number,
    then file and row). Date and channel come from the order's committed lines
    (stg_sales_orders) or, when it has none, from the parsed values of its quarantined
    lines (the earliest date and first channel by name; null when none parsed). The
    lines held back are its committed lines plus its quarantined lines that are not
    superseded. A quarantined line's amount is its line total as exported when that is
    a valid amount on its own (even if the quantity or price broke), else as computed
    from valid quantity, price and discount; it is unknown when neither exists or its
    status broke, and such a line adds nothing to `completed_revenue_known_vnd`. -#}

with outcomes as (

    select * from {{ ref("int_sales_quarantine_outcomes") }}

),

held_back as (

    select
        order_id,
        reason,
        row_number() over (
            partition by order_id
            order by
                case when line_no is null then 1 else 0 end,
                line_no,
                source_file,
                source_row_number
        ) as reason_rank
    from outcomes
    where outcome = 'held_back'

),

held_lines as (

    select
        silver.order_id,
        silver.order_date,
        silver.channel,
        silver.status,
        silver.line_total_vnd,
        true as is_committed
    from {{ ref("stg_sales_order_lines") }} as silver
    inner join held_back
        on held_back.order_id = silver.order_id
        and held_back.reason_rank = 1

    union all

    select
        outcomes.order_id,
        outcomes.order_date,
        outcomes.channel,
        outcomes.status,
        outcomes.line_total_vnd,
        false as is_committed
    from outcomes
    inner join held_back
        on held_back.order_id = outcomes.order_id
        and held_back.reason_rank = 1
    where outcomes.outcome in ('held_back', 'repaired')

),

totals as (

    select
        order_id,
        count(*) as lines_held_back,
        sum(case when is_committed then 1 else 0 end) as committed_lines,
        sum(case when line_total_vnd is null or status is null then 1 else 0 end)
            as lines_amount_unknown,
        sum(case when status = 'completed' then line_total_vnd else 0 end)
            as completed_revenue_known_vnd,
        min(case when not is_committed then order_date end) as parsed_order_date,
        min(case when not is_committed then channel end) as parsed_channel
    from held_lines
    group by order_id

),

final as (

    select
        totals.order_id,
        held_back.reason as hold_back_reason,
        coalesce(orders.order_date, totals.parsed_order_date) as order_date,
        coalesce(orders.channel, totals.parsed_channel) as channel,
        totals.lines_held_back,
        totals.committed_lines,
        totals.lines_amount_unknown,
        totals.completed_revenue_known_vnd
    from totals
    inner join held_back
        on held_back.order_id = totals.order_id
        and held_back.reason_rank = 1
    left join {{ ref("stg_sales_orders") }} as orders
        on orders.order_id = totals.order_id

)

select
    order_id,
    hold_back_reason,
    order_date,
    cast({{ dbt.date_trunc("month", "order_date") }} as date) as order_month,
    channel,
    cast(lines_held_back as integer) as lines_held_back,
    cast(committed_lines as integer) as committed_lines,
    cast(lines_amount_unknown as integer) as lines_amount_unknown,
    cast(coalesce(completed_revenue_known_vnd, 0) as bigint) as completed_revenue_known_vnd
from final

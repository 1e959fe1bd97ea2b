-- Per year and channel: completed revenue reported in gold (VND) beside the completed
-- revenue of orders held back whole because a line was quarantined and could not be
-- repaired from its own order, and the held-back share of both together in percent.
-- A null year or channel is held-back orders whose date or channel never parsed.
select
    order_year,
    channel,
    sum(reported_net_revenue_vnd) as reported_net_revenue_vnd,
    sum(held_back_net_revenue_vnd) as held_back_net_revenue_vnd,
    sum(orders_held_back) as orders_held_back,
    sum(lines_amount_unknown) as lines_amount_unknown,
    round(
        100.0 * sum(held_back_net_revenue_vnd)
        / nullif(sum(reported_net_revenue_vnd) + sum(held_back_net_revenue_vnd), 0),
        2
    ) as held_back_share_pct
from gold.fct_revenue_held_back
group by order_year, channel
order by order_year nulls last, channel nulls last

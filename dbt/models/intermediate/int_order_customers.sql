{#- The customer of every order: one row per exported or streamed order (the orders of
    int_order_references, as fct_sales counts them).

    An order's customer comes from all its lines: its references were linked to one
    person by the identity graph (an order joins its references), so they normally
    resolve to one customer. When they do not (its references name two CRM customers,
    which the resolution never merges), the reference with the highest confidence wins,
    then the smallest customer key, so both engines pick the same. An order none of
    whose lines names a customer (a walk-in sale) has no customer and match_method
    `none`. -#}

with order_references as (

    select * from {{ ref("int_order_references") }}

),

customers as (

    select source_ref, customer_key, crm_customer_id, match_method, match_confidence, loyalty_tier
    from {{ ref("int_customers_unified") }}
    where source_system = 'sales'

),

ranked as (

    select
        o.order_id,
        c.customer_key,
        c.crm_customer_id,
        coalesce(c.match_method, 'none') as match_method,
        c.match_confidence,
        c.loyalty_tier,
        count(o.customer_ref_key) over (partition by o.order_id) as customer_refs,
        row_number() over (
            partition by o.order_id
            order by c.match_confidence desc nulls last, c.customer_key
        ) as preference
    from order_references as o
    left join customers as c
        on c.source_ref = o.customer_ref_key

)

select
    order_id,
    customer_key,
    crm_customer_id,
    match_method,
    match_confidence,
    loyalty_tier,
    cast(customer_refs as integer) as customer_refs
from ranked
where preference = 1

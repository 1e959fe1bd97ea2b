{#- The identity graph's edges: one row per directed edge (`node`, `neighbour`), both
    directions, every node also its own neighbour (so the nodes are the rows with
    node = neighbour).

    Nodes: the holders of int_customer_identifiers (CRM records `crm|<id>`, valid and
    quarantined, and the distinct references of order lines `ref|<customer_ref_key>`),
    their linking identifier values (`id|...`, `email|...`, `phone|...`) and orders
    whose lines carry more than one reference (`order|<order_id>`). A holder is joined
    to each identifier it may link through (`is_linking`: not an email or phone shared
    by CRM customers, not a reference bridging two CRM customers), a multi-reference
    order to each of its references (unless they name two CRM customers), so references
    sharing an identifier, or an order, are in one component.

    A table of its own because int_customer_identity_graph reads it once per round of
    label propagation: inlined as a CTE, Trino would plan it again in every round and
    refuse the query for its number of stages. -#}

with identifiers as (

    select * from {{ ref("int_customer_identifiers") }}

),

order_references as (

    select * from {{ ref("int_order_references") }}
    where customer_ref_key is not null

),

linking_identifiers as (

    select holder, identifier from identifiers where is_linking

),

linking_orders as (

    {#- Orders with several references whose identifiers belong to at most one CRM
        record: an order naming two CRM customers links nobody, like a bridge. -#}
    select o.order_id
    from order_references as o
    left join identifiers as i
        on i.holder = {{ dbt.concat(["'ref|'", "o.customer_ref_key"]) }}
    group by o.order_id
    having count(distinct o.customer_ref_key) > 1
        and count(distinct i.crm_node) <= 1

),

multi_reference_orders as (

    select
        {{ dbt.concat(["'order|'", "order_id"]) }} as order_node,
        {{ dbt.concat(["'ref|'", "customer_ref_key"]) }} as reference_node
    from order_references
    where order_id in (select order_id from linking_orders)

),

links as (

    select holder as node, identifier as neighbour from linking_identifiers
    union all
    select order_node as node, reference_node as neighbour from multi_reference_orders

),

nodes as (

    select holder as node from identifiers
    union
    select identifier as node from linking_identifiers
    union
    select order_node as node from multi_reference_orders

),

edges as (

    select node, neighbour from links
    union
    select neighbour as node, node as neighbour from links
    union
    select node, node as neighbour from nodes

)

select * from edges

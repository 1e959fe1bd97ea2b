{#- One more label-propagation step changes nothing: every node's component equals
    each neighbour's, so the unrolled iterations of int_customer_identity_graph were
    enough. A row is an edge whose two ends are still in different components; raise
    `iterations` in the model if this fails. -#}

with graph as (

    select * from {{ ref("int_customer_identity_graph") }}

),

components as (

    select distinct node, component from graph

)

select graph.node, graph.neighbour, graph.component, components.component as neighbour_component
from graph
inner join components
    on components.node = graph.neighbour
where components.component <> graph.component

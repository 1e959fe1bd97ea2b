{#- The connected components of the identity graph (int_customer_identity_edges): one
    row per directed edge (`node`, `neighbour`) with the component of `node`.

    Components are computed by min-label propagation unrolled `iterations` times, which
    runs unchanged on DuckDB and Trino (Trino's WITH RECURSIVE caps the depth and cannot
    aggregate in the recursive step); a component's label is its smallest node. The data
    test assert_identity_graph_converged fails if one more iteration would change a
    label, i.e. if some component is longer than `iterations` hops. -#}

{%- set iterations = 16 %}

with edges as (

    select * from {{ ref("int_customer_identity_edges") }}

),

labels_0 as (

    select node, node as component from edges where node = neighbour

),
{%- for i in range(1, iterations + 1) %}

labels_{{ i }} as (

    select e.node, min(l.component) as component
    from edges as e
    inner join labels_{{ i - 1 }} as l
        on l.node = e.neighbour
    group by e.node

),
{%- endfor %}

final as (

    select e.node, e.neighbour, l.component
    from edges as e
    inner join labels_{{ iterations }} as l
        on l.node = e.node

)

select * from final

{#- The streamed order lines gold counts: int_stream_order_lines of the orders no export
    carries. An order id an export carries is the export's alone (exports are the shop's
    books, reconciled and corrected as files; events are the live view of the same
    orders), whether the export counts it (stg_sales_orders) or holds it back whole
    because a line was rejected (int_sales_held_back_orders, which also covers an order
    all of whose lines were rejected): a held-back order must not come back through the
    stream. Declared once, for fct_sales and for identity resolution
    (int_order_references). -#}

with streamed as (

    select * from {{ ref("int_stream_order_lines") }}

),

exported_orders as (

    select order_id from {{ ref("stg_sales_orders") }}
    union
    select order_id from {{ ref("int_sales_held_back_orders") }}

)

select streamed.*
from streamed
left join exported_orders
    on exported_orders.order_id = streamed.order_id
where exported_orders.order_id is null

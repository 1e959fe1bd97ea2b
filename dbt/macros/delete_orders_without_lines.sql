{#- Post-hook of stg_sales_orders: after an incremental run, delete orders none of whose
    lines is committed any more (every line came from a version a correction superseded).
    A full build has none. -#}
{% macro delete_orders_without_lines() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where order_id not in (select order_id from {{ ref("stg_sales_order_lines") }})
    {%- endif -%}
{%- endmacro %}

{#- The key of a customer reference on an order line: its CRM id, normalised email and
    phone together, or null when the line names none. Declared once because exported
    lines, streamed lines (int_stream_order_lines) and orders (stg_sales_orders) must
    compute it the same way: identity resolution (int_order_references) treats equal
    keys as one reference. `alias` is the relation holding the columns. -#}

{% macro customer_ref_key(alias) -%}
    case
        when {{ alias }}.customer_id is not null or {{ alias }}.email_normalized is not null or {{ alias }}.phone_normalized is not null
            then {{ dbt.hash(dbt.concat([
                "coalesce(" ~ alias ~ ".customer_id, '')", "'|'",
                "coalesce(" ~ alias ~ ".email_normalized, '')", "'|'",
                "coalesce(" ~ alias ~ ".phone_normalized, '')",
            ])) }}
    end
{%- endmacro %}

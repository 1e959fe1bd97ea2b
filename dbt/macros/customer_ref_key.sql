{#- The key of a customer reference on an order: its CRM id, normalised email and phone
    together, or null when the order names none. Declared once because a streamed order
    finds its export's customer by this key (int_stream_order_lines joins on it), so the
    two must be computed the same way. `alias` is the relation holding the columns. -#}

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

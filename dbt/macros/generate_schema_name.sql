{#- Models land in exactly `silver` or `gold`, not `<target schema>_silver`, so analysts
    query the same names on DuckDB and Trino. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

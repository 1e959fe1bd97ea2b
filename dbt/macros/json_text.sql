{#- The text of one top-level key of a JSON object held in a varchar column, or null when
    the key is absent or null. Quarantine rows keep the values that did parse as a JSON
    object (`parsed_values`); DuckDB and Trino name the function differently. -#}

{% macro json_text(column, key) -%}
    {%- if target.type == "trino" -%}
        json_extract_scalar({{ column }}, '$.{{ key }}')
    {%- else -%}
        json_extract_string({{ column }}, '$.{{ key }}')
    {%- endif -%}
{%- endmacro %}

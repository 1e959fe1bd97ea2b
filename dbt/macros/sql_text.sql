{#- A value as a SQL string literal (NULL for none), quotes doubled: both engines read
    backslashes literally, so the quote is the only character to escape. -#}
{% macro sql_text(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ (value | string).replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}

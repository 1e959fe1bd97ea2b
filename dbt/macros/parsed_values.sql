{#- Reading a quarantined sales line's `parsed_values` (ops/sme_pulse/sales/contract.py,
    `parsed_values_json`): a JSON object of the fields that are valid by the contract,
    where a valid empty field is a JSON null and a field that broke a rule is absent. -#}

{#- Whether `key` is in the object at all (valid, possibly null). The SQL/JSON predicate
    `json_exists` is true for a member whose value is JSON null, where `json_extract`
    differs by engine (Trino returns SQL null for it, DuckDB the JSON null); Trino wants
    the path mode spelled out. -#}
{% macro parsed_has(column, key) -%}
    {{ return(adapter.dispatch("parsed_has")(column, key)) }}
{%- endmacro %}

{% macro duckdb__parsed_has(column, key) -%}
    coalesce(json_exists({{ column }}, '$.{{ key }}'), false)
{%- endmacro %}

{% macro trino__parsed_has(column, key) -%}
    coalesce(json_exists({{ column }}, 'lax $.{{ key }}'), false)
{%- endmacro %}

{#- A UTC time written as 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00', in the type bronze
    timestamps have on each engine (macros/utc_timestamp.sql). -#}
{% macro parsed_utc_timestamp(column, key) -%}
    {{ return(adapter.dispatch("parsed_utc_timestamp")(column, key)) }}
{%- endmacro %}

{% macro duckdb__parsed_utc_timestamp(column, key) -%}
    cast({{ json_text(column, key) }} as timestamptz)
{%- endmacro %}

{% macro trino__parsed_utc_timestamp(column, key) -%}
    cast(replace(substr({{ json_text(column, key) }}, 1, 26), 'T', ' ') as timestamp(6))
{%- endmacro %}

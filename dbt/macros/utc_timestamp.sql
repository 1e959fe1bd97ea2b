{#- A point in time in the type bronze timestamps have on each engine, so a run's timestamp
    compares with `loaded_at`/`ingested_at` without passing through the session time zone:
    DuckDB reads them as TIMESTAMP WITH TIME ZONE, Trino (Hive) as naive UTC timestamp(6)
    (see snapshot_get_time). `value` is a UTC datetime, e.g. dbt's `run_started_at`. -#}

{% macro utc_timestamp_type() -%}
    {{ return(adapter.dispatch("utc_timestamp_type")()) }}
{%- endmacro %}

{% macro duckdb__utc_timestamp_type() -%}
    timestamptz
{%- endmacro %}

{% macro trino__utc_timestamp_type() -%}
    timestamp(6)
{%- endmacro %}

{% macro utc_timestamp(value) -%}
    {{ return(adapter.dispatch("utc_timestamp")(value)) }}
{%- endmacro %}

{% macro duckdb__utc_timestamp(value) -%}
    cast('{{ value.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00:00' as timestamptz)
{%- endmacro %}

{% macro trino__utc_timestamp(value) -%}
    cast('{{ value.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp(6))
{%- endmacro %}

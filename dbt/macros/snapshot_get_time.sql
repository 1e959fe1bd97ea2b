{#- The time a snapshot closes a version with, in the type of the customers' `updated_at`,
    so `dbt_valid_from`/`dbt_valid_to` hold one type and compare without casts through the
    session time zone. DuckDB reads bronze timestamps as TIMESTAMP WITH TIME ZONE (the
    adapter's default here is a naive TIMESTAMP); Trino reads them from Hive as naive
    UTC `timestamp(6)` (the default is `timestamp(3) with time zone`). -#}

{% macro duckdb__snapshot_get_time() -%}
    now()
{%- endmacro %}

{% macro trino__snapshot_get_time() -%}
    cast(current_timestamp at time zone 'UTC' as timestamp(6))
{%- endmacro %}

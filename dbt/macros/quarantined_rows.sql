{#- One quarantine dataset as rows of (source_table, source_file, reason), for
    gold.quarantine_counts; `table_name` is its table in the `quarantine` source, named
    like the bronze table the rows were rejected from.

    A quarantine folder exists only once its writer rejected a row, and DuckDB's
    `read_parquet` fails on a glob that matches no file: on DuckDB the folder is listed
    first (`glob()`, which returns nothing rather than failing) and an absent one reads
    as no rows. Trino's Hive tables read an empty location as empty. `source_file` is
    the SQL naming what the rows were read from; `committed` an optional condition on
    the rows (alias `q`) that keeps only committed loads. -#}

{% macro quarantined_rows(table_name, source_file, committed=none) -%}
    {%- set relation = source("quarantine", table_name) -%}
    {%- if lake_files_exist(relation) -%}
    select
        '{{ table_name }}' as source_table,
        {{ source_file }} as source_file,
        q.reason
    from {{ relation }} as q
    {%- if committed %}
    where {{ committed }}
    {%- endif %}
    {%- else -%}
    select
        cast(null as varchar) as source_table,
        cast(null as varchar) as source_file,
        cast(null as varchar) as reason
    where 1 = 0
    {%- endif -%}
{%- endmacro %}

{% macro lake_files_exist(relation) -%}
    {{ return(adapter.dispatch("lake_files_exist")(relation)) }}
{%- endmacro %}

{% macro default__lake_files_exist(relation) -%}
    {{ return(true) }}
{%- endmacro %}

{#- dbt-duckdb renders a source with `external_location` as that `read_parquet('<glob>',
    ...)` call: its first quoted string is the glob (the yml is checked to have that form
    by tests/dbt/test_bronze_contract.py). -#}
{% macro duckdb__lake_files_exist(relation) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set pattern = (relation | string).split("'")[1] -%}
    {%- set listed = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
    {{ return(listed.columns[0].values()[0] > 0) }}
{%- endmacro %}

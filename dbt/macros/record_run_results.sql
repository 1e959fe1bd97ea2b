{#- The on-run-end hook (dbt_project.yml): one row per node the invocation ran into
    gold.dbt_run_results, so Metabase, Trino and DuckDB users see each run's test results
    as a table, as the dbt_artifacts package does.

    Every Airflow task is its own dbt invocation (Cosmos: a `dbt build` per model, or per
    layer in `watcher` mode), so every task records its nodes. Commands that run no node
    (compile, docs, ls, parse, run-operation, source freshness) record nothing. The table
    is created here when missing, with the columns its model is built with
    (`dbt_run_results_schema`), so a task that runs before the model ever did still
    records; the model keeps it documented and never rebuilt (full_refresh off). Several
    tasks may insert at once on Trino: each insert is one Iceberg append, and Iceberg
    retries an append whose commit raced another. -#}

{% macro record_run_results(results) %}
    {%- if not execute or flags.WHICH not in ("run", "build", "test", "seed", "snapshot") -%}
        {{ return("") }}
    {%- endif -%}
    {%- if not results -%}
        {{ return("") }}
    {%- endif -%}
    {%- set node = graph.nodes["model." ~ project_name ~ ".dbt_run_results"] -%}
    {%- set relation = api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias
    ) -%}
    {%- do run_query("create schema if not exists " ~ relation.without_identifier()) -%}
    {%- set columns = [] -%}
    {%- for name, type in dbt_run_results_schema() -%}
        {%- do columns.append(name ~ " " ~ type) -%}
    {%- endfor -%}
    {#- Not `create table as`: Trino's plain `create table if not exists` also succeeds
        when a parallel task creates the table first, as on a first DAG run. -#}
    {%- do run_query(
        "create table if not exists " ~ relation ~ " (" ~ columns | join(", ") ~ ")"
    ) -%}
    {%- set rows = [] -%}
    {%- for result in results -%}
        {%- set message = (result.message | string).splitlines() if result.message else [] -%}
        {%- do rows.append(
            "(" ~ sql_text(invocation_id)
            ~ ", " ~ sql_text(flags.WHICH)
            ~ ", " ~ sql_text(target.name)
            ~ ", " ~ utc_timestamp(run_started_at)
            ~ ", " ~ sql_text(result.node.unique_id)
            ~ ", " ~ sql_text(result.node.resource_type)
            ~ ", " ~ sql_text(result.node.name)
            ~ ", " ~ sql_text(result.status)
            ~ ", " ~ (result.failures if result.failures is not none else "null")
            ~ ", cast(" ~ "%.3f" | format(result.execution_time or 0) ~ " as double)"
            ~ ", " ~ sql_text(message[0][:500] if message else none)
            ~ ")"
        ) -%}
    {%- endfor -%}
    {%- do run_query(
        "insert into " ~ relation ~ " (" ~ dbt_run_results_schema() | map("first") | join(", ")
        ~ ") values " ~ rows | join(", ")
    ) -%}
    {{ return("") }}
{% endmacro %}

{#- The columns of gold.dbt_run_results, declared once: the model builds from the empty
    select, the hook creates a missing table from the same list. -#}
{% macro dbt_run_results_schema() -%}
    {{ return([
        ("invocation_id", "varchar"),
        ("dbt_command", "varchar"),
        ("target_name", "varchar"),
        ("run_started_at", utc_timestamp_type()),
        ("unique_id", "varchar"),
        ("resource_type", "varchar"),
        ("node_name", "varchar"),
        ("status", "varchar"),
        ("failures", "bigint"),
        ("execution_seconds", "double"),
        ("message", "varchar"),
    ]) }}
{%- endmacro %}

{% macro dbt_run_results_columns() -%}
    select
    {%- for name, type in dbt_run_results_schema() %}
        cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
    where 1 = 0
{%- endmacro %}

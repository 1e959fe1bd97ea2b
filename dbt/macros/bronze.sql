{#- Bronze tables: where each lives in the lake and the columns it has.

    DuckDB reads the Parquet files in place through each source's `external_location`
    (models/staging/*/_*__sources.yml, same paths); Trino reads them as Hive external
    tables that `dbt run-operation register_bronze_tables` creates and partition-syncs, once
    per DAG run in the task `register_bronze`, before any model (`dbt run-operation
    show_bronze_ddl` prints the statements). The columns mirror the Arrow schemas in
    `ops/sme_pulse/sources/*.py`, `ops/sme_pulse/sales/{contract,manifest}.py` and
    `ops/sme_pulse/crm/{contract,ingest}.py`; tests/dbt/test_bronze_contract.py keeps the
    columns, types and paths in step with them and with the sources' yml.

    `partition` names the Hive folder key (`<key>=<value>/`), which Trino declares as the
    last column: `ingest_date` unless a table says otherwise. A partition key that is also
    a column inside the files (the sales manifest's `file_slug`) is declared once, as the
    partition: both hold the same value. -#}

{% macro lineage_columns() -%}
    {{ return([
        ("ingested_at", "timestamp(6)"),
        ("source", "varchar"),
        ("request_url", "varchar"),
        ("run_id", "varchar"),
    ]) }}
{%- endmacro %}

{% macro bronze_tables() -%}
    {{ return({
        "wb_indicators": {
            "path": "bronze/world_bank/indicators",
            "columns": [
                ("indicator_code", "varchar"),
                ("indicator_name", "varchar"),
                ("country_code", "varchar"),
                ("country_iso3", "varchar"),
                ("country_name", "varchar"),
                ("year", "integer"),
                ("value", "double"),
                ("unit", "varchar"),
                ("obs_status", "varchar"),
                ("decimal_places", "integer"),
                ("source_last_updated", "varchar"),
            ] + lineage_columns(),
        },
        "vn_provinces": {
            "path": "bronze/vn_provinces/provinces",
            "columns": [
                ("province_code", "varchar"),
                ("province_name", "varchar"),
                ("codename", "varchar"),
                ("division_type", "varchar"),
                ("phone_code", "integer"),
                ("api_version", "varchar"),
            ] + lineage_columns(),
        },
        "vn_districts": {
            "path": "bronze/vn_provinces/districts",
            "columns": [
                ("district_code", "varchar"),
                ("district_name", "varchar"),
                ("codename", "varchar"),
                ("division_type", "varchar"),
                ("short_codename", "varchar"),
                ("province_code", "varchar"),
                ("ward_count", "integer"),
                ("api_version", "varchar"),
            ] + lineage_columns(),
        },
        "sales_order_lines": {
            "path": "bronze/sales/order_lines",
            "partition": "file_slug",
            "columns": [
                ("order_id", "varchar"),
                ("line_no", "integer"),
                ("order_ts_utc", "timestamp(6)"),
                ("order_date_local", "date"),
                ("admin_version", "varchar"),
                ("channel", "varchar"),
                ("status", "varchar"),
                ("store_id", "varchar"),
                ("customer_id", "varchar"),
                ("customer_name", "varchar"),
                ("customer_email", "varchar"),
                ("customer_phone", "varchar"),
                ("email_normalized", "varchar"),
                ("phone_normalized", "varchar"),
                ("province_code", "varchar"),
                ("district_code", "varchar"),
                ("sku", "varchar"),
                ("product_name", "varchar"),
                ("category", "varchar"),
                ("quantity", "integer"),
                ("unit_price_vnd", "bigint"),
                ("discount_vnd", "bigint"),
                ("line_total_vnd", "bigint"),
                ("currency", "varchar"),
                ("payment_method", "varchar"),
                ("source_file", "varchar"),
                ("source_file_sha256", "varchar"),
                ("source_row_number", "bigint"),
                ("loaded_at", "timestamp(6)"),
            ] + lineage_columns(),
        },
        "sales_load_manifest": {
            "path": "bronze/sales/load_manifest",
            "partition": "file_slug",
            "columns": [
                ("source_file", "varchar"),
                ("source_file_sha256", "varchar"),
                ("source_file_bytes", "bigint"),
                ("file_format", "varchar"),
                ("encoding", "varchar"),
                ("line_terminator", "varchar"),
                ("delimiter", "varchar"),
                ("status", "varchar"),
                ("rows_read", "bigint"),
                ("rows_loaded", "bigint"),
                ("rows_quarantined", "bigint"),
                ("bronze_parts", "integer"),
                ("quarantine_parts", "integer"),
                ("header", "array(varchar)"),
                ("missing_required_columns", "array(varchar)"),
                ("missing_optional_columns", "array(varchar)"),
                ("extra_columns", "array(varchar)"),
                ("renamed_columns", "array(varchar)"),
                ("columns_reordered", "boolean"),
                ("version", "integer"),
                ("supersedes_sha256", "varchar"),
                ("loaded_at", "timestamp(6)"),
            ] + lineage_columns(),
        },
        "crm_customers": {
            "path": "bronze/crm/customers",
            "columns": [
                ("customer_id", "varchar"),
                ("full_name", "varchar"),
                ("email", "varchar"),
                ("phone", "varchar"),
                ("email_normalized", "varchar"),
                ("phone_normalized", "varchar"),
                ("province_code", "varchar"),
                ("district_code", "varchar"),
                ("admin_version", "varchar"),
                ("loyalty_tier", "varchar"),
                ("created_at", "timestamp(6)"),
                ("updated_at", "timestamp(6)"),
            ] + lineage_columns(),
        },
        "crm_load_manifest": {
            "path": "bronze/crm/load_manifest",
            "columns": [
                ("extraction_window", "varchar"),
                ("updated_since", "timestamp(6)"),
                ("max_updated_at", "timestamp(6)"),
                ("status", "varchar"),
                ("pages", "integer"),
                ("rows_read", "bigint"),
                ("rows_loaded", "bigint"),
                ("rows_quarantined", "bigint"),
                ("bronze_parts", "integer"),
                ("quarantine_parts", "integer"),
                ("fields_seen", "array(varchar)"),
                ("missing_fields", "array(varchar)"),
                ("extra_fields", "array(varchar)"),
            ] + lineage_columns(),
        },
    }) }}
{%- endmacro %}

{% macro lake_root() -%}
    {{ return(env_var("LAKE_URI", "../.local/lake").rstrip("/")) }}
{%- endmacro %}

{% macro register_bronze_tables() -%}
    {{ return(adapter.dispatch("register_bronze_tables", "sme_pulse")()) }}
{%- endmacro %}

{#- DuckDB reads bronze in place: nothing to register. -#}
{% macro default__register_bronze_tables() -%}
{%- endmacro %}

{#- The statements that register bronze on Trino: one schema, one external table per
    dataset, one partition sync each. -#}
{% macro bronze_ddl() -%}
    {%- set root = lake_root() -%}
    {%- set statements = ["create schema if not exists hive.bronze with (location = '" ~ root ~ "/bronze')"] -%}
    {%- for name, spec in bronze_tables().items() -%}
        {%- set columns = [] -%}
        {%- for column, data_type in spec.columns -%}
            {%- do columns.append(column ~ " " ~ data_type) -%}
        {%- endfor -%}
        {%- set partition = spec.get("partition", "ingest_date") -%}
        {%- do statements.append(
            "create table if not exists hive.bronze." ~ name ~ " ("
            ~ columns | join(", ") ~ ", " ~ partition ~ " varchar) with ("
            ~ "external_location = '" ~ root ~ "/" ~ spec.path ~ "', "
            ~ "format = 'PARQUET', partitioned_by = array['" ~ partition ~ "'])"
        ) -%}
        {%- do statements.append("call hive.system.sync_partition_metadata('bronze', '" ~ name ~ "', 'FULL')") -%}
    {%- endfor -%}
    {{ return(statements) }}
{%- endmacro %}

{% macro trino__register_bronze_tables() -%}
    {%- if execute -%}
        {%- for statement in bronze_ddl() -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- `dbt run-operation show_bronze_ddl`: what a Trino run would execute, one per line. -#}
{% macro show_bronze_ddl() -%}
    {%- for statement in bronze_ddl() -%}
        {{ print(statement) }}
    {%- endfor -%}
{%- endmacro %}

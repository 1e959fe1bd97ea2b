{#- One row per indicator and year. Incremental because every run lands a new dated copy
    of the whole series: only newer ingestions are read, and the latest value for an
    (indicator, year) replaces the older one: one MERGE on Trino's Iceberg (a delete+insert
    would write two snapshots and a delete file per run), delete+insert on DuckDB. Years the World Bank has not published yet
    come back as null and are left out until they have a value. -#}
{{ config(
    materialized="incremental",
    unique_key=["indicator_code", "year"],
    incremental_strategy=("merge" if target.type == "trino" else "delete+insert"),
    on_schema_change="append_new_columns",
) }}

with observations as (

    select
        cast(indicator_code as varchar) as indicator_code,
        cast(indicator_name as varchar) as indicator_name,
        cast(country_code as varchar) as country_code,
        cast(country_name as varchar) as country_name,
        cast(year as integer) as year,
        cast(value as double) as value,
        cast(unit as varchar) as unit,
        cast(source_last_updated as varchar) as source_last_updated,
        ingested_at,
        cast(run_id as varchar) as run_id
    from {{ source("bronze_external", "wb_indicators") }}
    where value is not null
    {% if is_incremental() %}
        and ingested_at > (select max(ingested_at) from {{ this }})
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by indicator_code, year
            order by ingested_at desc, run_id desc
        ) as recency
    from observations

)

select
    indicator_code,
    indicator_name,
    country_code,
    country_name,
    year,
    value,
    unit,
    source_last_updated,
    ingested_at,
    run_id
from ranked
where recency = 1

{#- Provinces and districts as one parent/child hierarchy, from the latest ingestion.
    The hierarchy is small and replaced whole, so a table rebuilt each run is simplest. -#}

with provinces as (

    select *
    from {{ source("bronze_external", "vn_provinces") }}
    where ingest_date = (select max(ingest_date) from {{ source("bronze_external", "vn_provinces") }})

),

districts as (

    select *
    from {{ source("bronze_external", "vn_districts") }}
    where ingest_date = (select max(ingest_date) from {{ source("bronze_external", "vn_districts") }})

)

select
    cast(province_code as varchar) as location_code,
    1 as location_level,
    'province' as location_type,
    cast(province_name as varchar) as location_name,
    cast(division_type as varchar) as division_type,
    cast(codename as varchar) as codename,
    cast(null as varchar) as parent_location_code,
    cast(province_code as varchar) as province_code,
    cast(phone_code as integer) as phone_code,
    cast(api_version as varchar) as api_version,
    cast(ingest_date as varchar) as ingest_date,
    ingested_at
from provinces

union all

select
    cast(district_code as varchar) as location_code,
    2 as location_level,
    'district' as location_type,
    cast(district_name as varchar) as location_name,
    cast(division_type as varchar) as division_type,
    cast(codename as varchar) as codename,
    cast(province_code as varchar) as parent_location_code,
    cast(province_code as varchar) as province_code,
    cast(null as integer) as phone_code,
    cast(api_version as varchar) as api_version,
    cast(ingest_date as varchar) as ingest_date,
    ingested_at
from districts

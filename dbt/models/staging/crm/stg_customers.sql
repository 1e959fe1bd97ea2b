{#- One row per CRM customer: the latest version in the bronze change log.

    Latest means the newest `updated_at`; a record fetched twice at the same `updated_at`
    (the watermark is inclusive) is the same version, and the later ingestion wins.
    Emails are lower-cased and trimmed; `email_normalized` and `phone_normalized` (E.164,
    +84...) are the ingestion's matching forms, null when the value is not a usable
    address or Vietnamese number. `bronze_versions` keeps the deduplication visible. -#}

with ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by updated_at desc, ingested_at desc, run_id desc
        ) as recency,
        count(*) over (partition by customer_id) as bronze_versions
    from {{ source("bronze_crm", "customers") }}

)

select
    customer_id,
    trim(full_name) as full_name,
    lower(trim(email)) as email,
    email_normalized,
    phone,
    phone_normalized,
    province_code,
    district_code,
    admin_version,
    loyalty_tier,
    created_at,
    updated_at,
    cast(bronze_versions as integer) as bronze_versions,
    ingested_at,
    run_id
from ranked
where recency = 1

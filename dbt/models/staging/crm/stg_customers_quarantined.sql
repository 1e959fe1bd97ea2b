{#- One row per CRM customer id that the customer contract quarantined and that has no
    valid version in stg_customers: the latest quarantined version's values that did
    parse (`parsed_values`, written by the CRM ingestion).

    A record broken by an unrelated rule (a blank name, an unknown province) still names
    a real customer, so identity resolution matches orders to it, with a lower
    confidence (int_customers_unified). Latest means the newest parsed `updated_at`, then
    the later ingestion. Records without a parsed id identify nobody and are left out.
    The quarantine folder exists only once a record was rejected; before that this model
    is empty (macro lake_files_exist). -#}

{%- set relation = source("quarantine", "crm_customers") %}

{%- if lake_files_exist(relation) %}
with quarantined as (

    select
        {{ json_text("q.parsed_values", "customer_id") }} as customer_id,
        {{ json_text("q.parsed_values", "full_name") }} as full_name,
        {{ json_text("q.parsed_values", "email_normalized") }} as email_normalized,
        {{ json_text("q.parsed_values", "phone_normalized") }} as phone_normalized,
        {{ json_text("q.parsed_values", "province_code") }} as province_code,
        {{ json_text("q.parsed_values", "admin_version") }} as admin_version,
        {{ json_text("q.parsed_values", "loyalty_tier") }} as loyalty_tier,
        {{ json_text("q.parsed_values", "updated_at") }} as updated_at_text,
        q.reason,
        q.ingested_at,
        q.run_id
    from {{ relation }} as q
    where q.parsed_values is not null

),

ranked as (

    select
        quarantined.*,
        row_number() over (
            partition by quarantined.customer_id
            order by
                quarantined.updated_at_text desc,
                quarantined.ingested_at desc,
                quarantined.run_id desc,
                quarantined.reason
        ) as recency
    from quarantined
    left join {{ ref("stg_customers") }} as valid
        on valid.customer_id = quarantined.customer_id
    where quarantined.customer_id is not null
        and valid.customer_id is null

)

select
    customer_id,
    full_name,
    email_normalized,
    phone_normalized,
    province_code,
    admin_version,
    loyalty_tier,
    reason
from ranked
where recency = 1
{%- else %}
select
    cast(null as varchar) as customer_id,
    cast(null as varchar) as full_name,
    cast(null as varchar) as email_normalized,
    cast(null as varchar) as phone_normalized,
    cast(null as varchar) as province_code,
    cast(null as varchar) as admin_version,
    cast(null as varchar) as loyalty_tier,
    cast(null as varchar) as reason
where 1 = 0
{%- endif %}

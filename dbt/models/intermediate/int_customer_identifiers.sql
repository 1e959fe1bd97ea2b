{#- Who holds which identifier: one row per (holder, identifier), the vertices and
    candidate edges of the identity graph (int_customer_identity_graph).

    Holders: CRM records (`crm|<id>`; valid ones from stg_customers, quarantined ones
    from stg_customers_quarantined) and the distinct customer references of order lines
    (`ref|<customer_ref_key>`, int_order_references). Identifiers: `id|<customer id>`,
    `email|<normalised email>`, `phone|<E.164 phone>`, with their strength (1 id,
    2 email, 3 phone). Placeholder contacts are null from ingestion on
    (ingestion/values.py) and never get here.

    `crm_node` is the CRM record the identifier belongs to: the record with that id, or
    the only CRM record with that email or phone. Two guards decide `is_linking`, whether
    the identifier may join its holder to others:
    * an email or phone held by 2+ CRM records (a family address), or one of the shop's
      own contacts (setting SHOP_CONTACTS, passed normalised by config.py), is
      `is_shared` and links nobody;
    * a reference whose own identifiers belong to 2+ CRM records (the CRM id of one
      customer beside the email of another) is a bridge: the CRM says these are
      different people, so it links nobody and is resolved alone by its strongest
      identifier (int_customers_unified). -#}

{%- set shop_contacts = env_var("SHOP_CONTACTS", "").split(",") | reject("equalto", "") | list %}
{%- if shop_contacts %}
    {%- set quoted = [] %}
    {%- for contact in shop_contacts %}
        {%- do quoted.append("'" ~ contact | replace("'", "''") ~ "'") %}
    {%- endfor %}
    {%- set is_shop = "held.identifier in (" ~ quoted | join(", ") ~ ")" %}
{%- else %}
    {%- set is_shop = "false" %}
{%- endif %}

with crm as (

    select customer_id, email_normalized, phone_normalized from {{ ref("stg_customers") }}
    union all
    select customer_id, email_normalized, phone_normalized
    from {{ ref("stg_customers_quarantined") }}

),

holders as (

    select
        {{ dbt.concat(["'crm|'", "customer_id"]) }} as holder,
        customer_id,
        email_normalized,
        phone_normalized
    from crm

    union all

    select distinct
        {{ dbt.concat(["'ref|'", "customer_ref_key"]) }} as holder,
        customer_id,
        email_normalized,
        phone_normalized
    from {{ ref("int_order_references") }}
    where customer_ref_key is not null

),

held as (

    select holder, {{ dbt.concat(["'id|'", "customer_id"]) }} as identifier, 1 as strength
    from holders
    where customer_id is not null
    union all
    select holder, {{ dbt.concat(["'email|'", "email_normalized"]) }} as identifier, 2 as strength
    from holders
    where email_normalized is not null
    union all
    select holder, {{ dbt.concat(["'phone|'", "phone_normalized"]) }} as identifier, 3 as strength
    from holders
    where phone_normalized is not null

),

crm_owners as (

    select identifier, count(*) as crm_records, min(holder) as crm_node
    from held
    where holder like 'crm|%'
    group by identifier

),

owned as (

    select
        held.holder,
        held.identifier,
        held.strength,
        case when owners.crm_records = 1 and not {{ is_shop }} then owners.crm_node end
            as crm_node,
        coalesce(owners.crm_records, 0) > 1 or {{ is_shop }} as is_shared
    from held
    left join crm_owners as owners
        on owners.identifier = held.identifier

),

bridges as (

    select holder
    from owned
    where holder like 'ref|%'
    group by holder
    having count(distinct crm_node) > 1

)

select
    owned.holder,
    owned.identifier,
    cast(owned.strength as integer) as strength,
    owned.crm_node,
    owned.is_shared,
    not owned.is_shared and bridges.holder is null as is_linking
from owned
left join bridges
    on bridges.holder = owned.holder

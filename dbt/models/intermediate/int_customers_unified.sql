{#- Identity resolution: every customer reference of every source, with the person it
    resolves to. One row per (source_system, source_ref).

    * `crm` rows are the CRM records themselves (source_ref = customer_id), valid ones
      (stg_customers) and quarantined ones still identifying someone
      (stg_customers_quarantined, match_method `crm_quarantined`).
    * `sales` rows are the distinct customer references on exported and streamed order
      lines (source_ref = customer_ref_key: CRM id, email and phone of the line).

    A person is a connected component of int_customer_identity_graph: references are
    linked transitively through shared CRM ids, emails and phones, and through orders
    whose lines carry several references. Rules:

    * A component holding one CRM record is that CRM customer; its key is
      hash('crm|' || customer id).
    * A component holding no CRM record is a sales-only person, keyed by a hash of its
      smallest identifier node ('email|...', 'id|...', 'phone|...'), so repeat buyers
      that never registered still count once.
    * Two CRM customers are never merged (the CRM says they are different people): a
      reference or order naming two of them links nobody (int_customer_identifiers)
      and goes to the CRM customer of its own strongest identifier (id > email >
      phone). Should a component still hold 2+ CRM records (a chain of references each
      naming one), every reference in it goes to the CRM customer of its own strongest
      identifier, and one with none stays unmatched, keyed by its own strongest
      identifier.
    * An email or phone held by 2+ CRM customers links nobody (the graph leaves it out),
      and placeholder contacts are null from ingestion on.

    `match_method` says how the reference reached its CRM customer: `customer_id` (its
    own id is the CRM record's), `email` / `phone` (its own email / phone belongs to that
    record alone), `linked` (only through other references or a shared order), and
    `crm_quarantined` when the CRM record is one the contract quarantined (its id,
    contacts and tier parsed; another field did not). Confidence is in `confidence`
    below; a quarantined record scales it by `quarantined_factor`. Loyalty tier and
    province are the CRM customer's current ones, a quarantined record's included. -#}

{%- set confidence = {"customer_id": 1.0, "email": 0.9, "phone": 0.7, "linked": 0.5} %}
{%- set quarantined_factor = 0.8 %}

with crm as (

    select
        customer_id,
        full_name,
        email_normalized,
        phone_normalized,
        loyalty_tier,
        admin_version,
        province_code,
        false as is_quarantined
    from {{ ref("stg_customers") }}

    union all

    select
        customer_id,
        full_name,
        email_normalized,
        phone_normalized,
        loyalty_tier,
        admin_version,
        province_code,
        true as is_quarantined
    from {{ ref("stg_customers_quarantined") }}

),

order_references as (

    select * from {{ ref("int_order_references") }}
    where customer_ref_key is not null

),

graph as (

    select * from {{ ref("int_customer_identity_graph") }}

),

components as (

    select distinct node, component from graph

),

component_crm as (

    select component, count(*) as crm_records, min(node) as crm_node
    from components
    where node like 'crm|%'
    group by component

),

component_identifiers as (

    select component, min(node) as smallest_identifier
    from components
    where node like 'id|%' or node like 'email|%' or node like 'phone|%'
    group by component

),

direct_matches as (

    {#- The CRM record a reference's own strongest identifier belongs to. -#}
    select
        holder as reference_node,
        crm_node,
        strength,
        row_number() over (partition by holder order by strength, crm_node) as rank_in_reference
    from {{ ref("int_customer_identifiers") }}
    where holder like 'ref|%'
        and crm_node is not null

),

sales_refs as (

    select
        customer_ref_key,
        customer_id,
        email_normalized,
        phone_normalized,
        {{ dbt.concat(["'ref|'", "customer_ref_key"]) }} as reference_node,
        max(customer_name) as customer_name,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct order_id) as orders
    from order_references
    group by customer_ref_key, customer_id, email_normalized, phone_normalized

),

resolved_refs as (

    select
        s.*,
        coalesce(case when cc.crm_records = 1 then cc.crm_node end, direct.crm_node)
            as crm_node,
        direct.crm_node as direct_crm_node,
        direct.strength as direct_strength,
        case when coalesce(cc.crm_records, 0) = 0 then ci.smallest_identifier end
            as component_identifier
    from sales_refs as s
    inner join components as c
        on c.node = s.reference_node
    left join component_crm as cc
        on cc.component = c.component
    left join component_identifiers as ci
        on ci.component = c.component
    left join direct_matches as direct
        on direct.reference_node = s.reference_node
        and direct.rank_in_reference = 1

),

sales as (

    select
        r.customer_ref_key,
        r.customer_id,
        r.email_normalized,
        r.phone_normalized,
        r.customer_name,
        r.first_order_date,
        r.last_order_date,
        r.orders,
        crm.customer_id as crm_customer_id,
        case
            when crm.customer_id is not null then {{ dbt.hash("r.crm_node") }}
            when r.component_identifier is not null then {{ dbt.hash("r.component_identifier") }}
            when r.customer_id is not null
                then {{ dbt.hash(dbt.concat(["'id|'", "r.customer_id"])) }}
            when r.email_normalized is not null
                then {{ dbt.hash(dbt.concat(["'email|'", "r.email_normalized"])) }}
            else {{ dbt.hash(dbt.concat(["'phone|'", "r.phone_normalized"])) }}
        end as customer_key,
        case
            when crm.customer_id is null then 'unmatched'
            when r.direct_crm_node <> r.crm_node or r.direct_crm_node is null then 'linked'
            when r.direct_strength = 1 then 'customer_id'
            when r.direct_strength = 2 then 'email'
            else 'phone'
        end as reached_by,
        crm.is_quarantined
    from resolved_refs as r
    left join crm
        on {{ dbt.concat(["'crm|'", "crm.customer_id"]) }} = r.crm_node

),

linked as (

    select
        s.crm_customer_id,
        min(o.order_date) as first_order_date,
        max(o.order_date) as last_order_date,
        count(distinct o.order_id) as orders
    from sales as s
    inner join order_references as o
        on o.customer_ref_key = s.customer_ref_key
    where s.crm_customer_id is not null
    group by s.crm_customer_id

),

unified as (

    select
        'crm' as source_system,
        crm.customer_id as source_ref,
        {{ dbt.hash(dbt.concat(["'crm|'", "crm.customer_id"])) }} as customer_key,
        crm.customer_id as crm_customer_id,
        case when crm.is_quarantined then 'crm_quarantined' else 'crm_record' end
            as match_method,
        cast(
            case when crm.is_quarantined then {{ quarantined_factor }} else 1.0 end as double
        ) as match_confidence,
        crm.full_name as customer_name,
        crm.email_normalized,
        crm.phone_normalized,
        linked.first_order_date,
        linked.last_order_date,
        coalesce(linked.orders, 0) as orders
    from crm
    left join linked
        on linked.crm_customer_id = crm.customer_id

    union all

    select
        'sales' as source_system,
        customer_ref_key as source_ref,
        customer_key,
        crm_customer_id,
        case when is_quarantined then 'crm_quarantined' else reached_by end as match_method,
        cast(
            case reached_by
                {%- for method, value in confidence.items() %}
                when '{{ method }}' then {{ value }}
                {%- endfor %}
                else 0.0
            end
            * case when is_quarantined then {{ quarantined_factor }} else 1.0 end
            as double
        ) as match_confidence,
        customer_name,
        email_normalized,
        phone_normalized,
        first_order_date,
        last_order_date,
        orders
    from sales

)

select
    u.source_system,
    u.source_ref,
    u.customer_key,
    u.crm_customer_id,
    u.match_method,
    u.match_confidence,
    u.crm_customer_id is not null as is_in_crm,
    u.customer_name,
    u.email_normalized,
    u.phone_normalized,
    c.loyalty_tier,
    c.admin_version,
    c.province_code,
    xw.new_province_code as current_province_code,
    u.first_order_date,
    u.last_order_date,
    cast(u.orders as integer) as orders
from unified as u
left join crm as c
    on c.customer_id = u.crm_customer_id
left join {{ ref("int_location_crosswalk") }} as xw
    on xw.admin_version = c.admin_version
    and xw.province_code = c.province_code

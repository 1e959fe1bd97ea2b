{#- Identity resolution: every customer reference of every source, with the customer it
    resolves to. One row per (source_system, source_ref).

    * `crm` rows are the CRM customers themselves (source_ref = customer_id).
    * `sales` rows are the distinct customer references orders carry (source_ref =
      stg_sales_orders.customer_ref_key: the CRM id, email and phone on the order).

    A sales reference is matched to a CRM customer by the first rule that applies:
    its customer id is a CRM id (confidence 1.0); its normalised email belongs to exactly
    one CRM customer (0.9); its E.164 phone belongs to exactly one CRM customer (0.7).
    An email or phone shared by several CRM customers (a family address, a shop phone)
    is ambiguous and matches nothing. Unmatched references become sales-only customers
    (confidence 0.0) keyed by their strongest identifier (id, else email, else phone), so
    repeat marketplace buyers still count as one customer; two references that share
    only a weaker identifier are not merged (no transitive linking). -#}

with crm as (

    select * from {{ ref("stg_customers") }}

),

crm_emails as (

    select email_normalized, min(customer_id) as customer_id, count(*) as customers
    from crm
    where email_normalized is not null
    group by email_normalized

),

crm_phones as (

    select phone_normalized, min(customer_id) as customer_id, count(*) as customers
    from crm
    where phone_normalized is not null
    group by phone_normalized

),

sales_refs as (

    select
        customer_ref_key,
        customer_id,
        email_normalized,
        phone_normalized,
        max(customer_name) as customer_name,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as orders
    from {{ ref("stg_sales_orders") }}
    where customer_ref_key is not null
    group by customer_ref_key, customer_id, email_normalized, phone_normalized

),

matched as (

    select
        s.*,
        case
            when by_id.customer_id is not null then 'customer_id'
            when by_email.customers = 1 then 'email'
            when by_phone.customers = 1 then 'phone'
            else 'unmatched'
        end as match_method,
        case
            when by_id.customer_id is not null then by_id.customer_id
            when by_email.customers = 1 then by_email.customer_id
            when by_phone.customers = 1 then by_phone.customer_id
        end as crm_customer_id
    from sales_refs as s
    left join crm as by_id
        on by_id.customer_id = s.customer_id
    left join crm_emails as by_email
        on by_email.email_normalized = s.email_normalized
    left join crm_phones as by_phone
        on by_phone.phone_normalized = s.phone_normalized

),

linked as (

    select
        crm_customer_id,
        min(first_order_date) as first_order_date,
        max(last_order_date) as last_order_date,
        sum(orders) as orders
    from matched
    where crm_customer_id is not null
    group by crm_customer_id

),

unified as (

    select
        'crm' as source_system,
        crm.customer_id as source_ref,
        {{ dbt.hash(dbt.concat(["'crm|'", "crm.customer_id"])) }} as customer_key,
        crm.customer_id as crm_customer_id,
        'crm_record' as match_method,
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
        case
            when crm_customer_id is not null
                then {{ dbt.hash(dbt.concat(["'crm|'", "crm_customer_id"])) }}
            when customer_id is not null
                then {{ dbt.hash(dbt.concat(["'id|'", "customer_id"])) }}
            when email_normalized is not null
                then {{ dbt.hash(dbt.concat(["'email|'", "email_normalized"])) }}
            else {{ dbt.hash(dbt.concat(["'phone|'", "phone_normalized"])) }}
        end as customer_key,
        crm_customer_id,
        match_method,
        customer_name,
        email_normalized,
        phone_normalized,
        first_order_date,
        last_order_date,
        orders
    from matched

)

select
    u.source_system,
    u.source_ref,
    u.customer_key,
    u.crm_customer_id,
    u.match_method,
    cast(
        case u.match_method
            when 'crm_record' then 1.0
            when 'customer_id' then 1.0
            when 'email' then 0.9
            when 'phone' then 0.7
            else 0.0
        end as double
    ) as match_confidence,
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

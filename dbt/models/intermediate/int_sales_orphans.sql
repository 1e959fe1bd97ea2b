{#- Orders that reference something the warehouse does not know: one row per (order_id,
    orphan_reason). They stay in every gold table (nothing is dropped); this model is
    where they are reported, and its test warns while it is not empty.

    * `customer_id_not_in_crm`: the order carries a CRM customer id that silver has no
      customer for (typically a CRM record the customer contract quarantined). Identity
      resolution still matches the order to a quarantined record's person
      (stg_customers_quarantined, match `crm_quarantined`), else by its other
      references, else counts it as a sales-only customer.
    * `location_not_in_dim_location`: the order's province or district has no
      dim_location version valid on the order date; its revenue is under `unknown` in
      the province roll-ups. -#}

with orders as (

    select * from {{ ref("stg_sales_orders") }}

),

missing_customers as (

    select
        o.order_id,
        'customer_id_not_in_crm' as orphan_reason,
        o.customer_id as referenced_value
    from orders as o
    left join {{ ref("stg_customers") }} as c
        on c.customer_id = o.customer_id
    where o.customer_id is not null
        and c.customer_id is null

),

missing_locations as (

    select
        o.order_id,
        'location_not_in_dim_location' as orphan_reason,
        {{ dbt.concat([
            "o.admin_version", "':'", "o.province_code", "'/'", "coalesce(o.district_code, '-')"
        ]) }} as referenced_value
    from orders as o
    {{ location_on_order_date_joins("o", "o.order_date") }}
    where o.province_code is not null
        and {{ location_key("o") }} is null

),

orphans as (

    select * from missing_customers
    union all
    select * from missing_locations

)

select
    orphans.order_id,
    orphans.orphan_reason,
    orphans.referenced_value,
    o.order_date,
    o.channel,
    o.status,
    o.line_count,
    o.order_total_vnd,
    o.source_file
from orphans
inner join orders as o
    on o.order_id = orphans.order_id

{#- What the partial-order policy does with each quarantined export line: one row per
    quarantined line of a committed load (`order_id`, `line_no`; copies of the same line
    collapse to the most recently loaded one, `quarantine_copies` says how many there
    were), with its `outcome`:

    * `superseded`: silver holds a committed copy of the same (order_id, line_no), e.g.
      a corrected re-export; the quarantined copy changes nothing.
    * `repaired`: every rule the line broke is on a header field its order's committed
      lines carry validly, and those lines agree on one value, so the order itself
      proves it (`line_repair`):
      - `order_ts_from_order`: the time broke; the line takes the time, local date,
        admin version and address of its order, when the committed lines agree on one
        time and one address (the address codes depend on the date, so without a valid
        time the line's own address could not be checked);
      - `address_from_order`: only the province or district broke; the line takes the
        province and district of its order, when the committed lines agree on one
        non-empty address under the same admin version as the line's own date.
      Any other broken field (amount, quantity, status, sku, customer, ...) is not
      proved by the order and is never repaired.
    * `held_back`: neither; the line's order is held back whole
      (int_sales_held_back_orders), so no line of it counts in gold.
    * `no_order`: the row does not name an order (no order id, or never parsed into
      fields without one); it stays in quarantine only (gold.quarantine_counts).

    A repaired line has every other field valid, so its amount is known. -#}

with silver_lines as (

    select * from {{ ref("stg_sales_order_lines") }}

),

quarantined as (

    select * from {{ ref("stg_sales_quarantined_lines") }}

),

order_headers as (

    {#- What the order's committed lines say about the header: one time and one address
        when `times` and `addresses` are 1. -#}
    select
        order_id,
        count(distinct order_ts_utc) as times,
        min(order_ts_utc) as order_ts_utc,
        min(order_date) as order_date,
        min(admin_version) as admin_version,
        count(distinct {{ dbt.concat([
            "coalesce(province_code, '')", "'/'", "coalesce(district_code, '')"
        ]) }}) as addresses,
        min(province_code) as province_code,
        min(district_code) as district_code
    from silver_lines
    group by order_id

),

ranked as (

    select
        *,
        row_number() over (
            partition by order_id, line_key
            order by loaded_at desc, source_file desc, source_row_number desc
        ) as recency,
        count(*) over (partition by order_id, line_key) as quarantine_copies
    from (
        select
            quarantined.*,
            case
                when order_id is not null and line_no is not null
                    then cast(line_no as varchar)
                else {{ dbt.concat(["source_file", "'#'", "cast(source_row_number as varchar)"]) }}
            end as line_key
        from quarantined
    ) as keyed

),

judged as (

    select
        q.*,
        h.order_id is not null as order_has_committed_lines,
        s.order_id is not null as is_superseded,
        case
            when not q.has_parsed_values or q.line_fields_unverified or h.order_id is null
                then null
            when q.order_ts_unverified and h.times = 1 and h.addresses = 1
                then 'order_ts_from_order'
            when not q.order_ts_unverified
                and q.address_unverified
                and h.addresses = 1
                and h.province_code is not null
                and h.admin_version = q.admin_version
                then 'address_from_order'
        end as line_repair,
        h.order_ts_utc as order_order_ts_utc,
        h.order_date as order_order_date,
        h.admin_version as order_admin_version,
        h.province_code as order_province_code,
        h.district_code as order_district_code
    from ranked as q
    left join order_headers as h
        on h.order_id = q.order_id
    left join silver_lines as s
        on s.order_id = q.order_id
        and s.line_no = q.line_no
    where q.recency = 1

)

select
    {{ dbt.hash(dbt.concat(["order_id", "'|'", "cast(line_no as varchar)"])) }} as order_line_key,
    order_id,
    line_no,
    case
        when order_id is null then 'no_order'
        when is_superseded then 'superseded'
        when line_repair is not null then 'repaired'
        else 'held_back'
    end as outcome,
    case when not is_superseded then line_repair end as line_repair,
    case when line_repair = 'order_ts_from_order' then order_order_ts_utc else order_ts_utc end
        as order_ts_utc,
    case when line_repair = 'order_ts_from_order' then order_order_date else order_date end
        as order_date,
    case when line_repair = 'order_ts_from_order' then order_admin_version else admin_version end
        as admin_version,
    channel,
    status,
    store_id,
    customer_id,
    customer_name,
    customer_email,
    email_normalized,
    customer_phone,
    phone_normalized,
    case when line_repair is not null then order_province_code else province_code end
        as province_code,
    case when line_repair is not null then order_district_code else district_code end
        as district_code,
    sku,
    product_name,
    category,
    quantity,
    unit_price_vnd,
    discount_vnd,
    line_total_vnd,
    gross_amount_vnd,
    currency,
    payment_method,
    order_has_committed_lines,
    reason,
    reason_detail,
    source_file,
    source_file_sha256,
    source_row_number,
    cast(quarantine_copies as integer) as quarantine_copies,
    loaded_at,
    run_id
from judged

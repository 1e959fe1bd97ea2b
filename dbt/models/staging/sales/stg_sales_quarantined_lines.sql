{#- One row per quarantined sales export row of a committed load, typed from the values
    that did parse (`parsed_values`): a field that broke a rule, or that could not be
    checked because another did, is null here and flagged.

    Only rows of the file version a load manifest commits count, as for bronze
    (stg_sales_order_lines). `order_id` falls back to the raw text when it did not pass
    the contract, so the row still names its order. Rows never split into fields (wrong
    field count, too long, not JSON, a required column missing from the file) have no
    parsed values: `has_parsed_values` is false and every typed field is null.

    Flags for the partial-order policy (int_sales_lines_counted): `order_ts_unverified`
    when the time broke (the address is then unverified too: its codes depend on the
    date), `address_unverified` when the province or district broke or could not be
    checked, `line_fields_unverified` when any other field broke.

    A quarantine folder exists only once a row was rejected; on DuckDB an absent one
    reads as no rows (macros/quarantined_rows.sql). -#}

{%- set text_fields = [
    "admin_version", "channel", "status", "store_id", "customer_id", "customer_name",
    "customer_email", "email_normalized", "customer_phone", "phone_normalized",
    "province_code", "district_code", "sku", "product_name", "category", "currency",
    "payment_method",
] %}
{%- set integer_fields = ["line_no", "quantity"] %}
{%- set amount_fields = ["unit_price_vnd", "discount_vnd", "line_total_vnd"] %}
{%- set time_fields = ["order_ts_utc", "order_date_local", "admin_version"] %}
{%- set address_fields = ["province_code", "district_code"] %}
{%- set line_fields = ["order_id"] + integer_fields + amount_fields + (
    text_fields | reject("in", time_fields + address_fields) | list
) %}
{%- set relation = source("quarantine", "sales_order_lines") %}

{% if lake_files_exist(relation) %}
with quarantined as (

    select q.*
    from {{ relation }} as q
    inner join {{ source("bronze_sales", "load_manifest") }} as manifest
        on manifest.source_file = q.source_file
        and manifest.source_file_sha256 = q.source_file_sha256

),

typed as (

    select
        coalesce({{ json_text("parsed_values", "order_id") }}, order_id) as order_id,
        {% for field in integer_fields -%}
        cast({{ json_text("parsed_values", field) }} as integer) as {{ field }},
        {% endfor -%}
        {{ parsed_utc_timestamp("parsed_values", "order_ts_utc") }} as order_ts_utc,
        cast({{ json_text("parsed_values", "order_date_local") }} as date) as order_date,
        {% for field in text_fields -%}
        {{ json_text("parsed_values", field) }} as {{ field }},
        {% endfor -%}
        {% for field in amount_fields -%}
        cast({{ json_text("parsed_values", field) }} as bigint) as {{ field }},
        {% endfor -%}
        parsed_values is not null as has_parsed_values,
        parsed_values is not null
            and not {{ parsed_has("parsed_values", "order_ts_utc") }} as order_ts_unverified,
        parsed_values is not null
            and not (
                {{ parsed_has("parsed_values", "province_code") }}
                and {{ parsed_has("parsed_values", "district_code") }}
            ) as address_unverified,
        parsed_values is not null
            and not (
                {% for field in line_fields -%}
                {{ parsed_has("parsed_values", field) }}{{ " and" if not loop.last }}
                {% endfor -%}
            ) as line_fields_unverified,
        reason,
        reason_detail,
        source_file,
        source_file_sha256,
        source_row_number,
        loaded_at,
        run_id
    from quarantined

)

select
    order_id,
    line_no,
    order_ts_utc,
    order_date,
    admin_version,
    channel,
    status,
    store_id,
    customer_id,
    customer_name,
    lower(trim(customer_email)) as customer_email,
    email_normalized,
    customer_phone,
    phone_normalized,
    province_code,
    district_code,
    sku,
    product_name,
    category,
    quantity,
    unit_price_vnd,
    discount_vnd,
    line_total_vnd,
    cast(quantity as bigint) * unit_price_vnd as gross_amount_vnd,
    currency,
    payment_method,
    has_parsed_values,
    order_ts_unverified,
    address_unverified,
    line_fields_unverified,
    reason,
    reason_detail,
    source_file,
    source_file_sha256,
    source_row_number,
    loaded_at,
    run_id
from typed
{% else %}
select
    cast(null as varchar) as order_id,
    cast(null as integer) as line_no,
    cast(null as {{ utc_timestamp_type() }}) as order_ts_utc,
    cast(null as date) as order_date,
    {% for field in text_fields if field not in ["customer_email"] -%}
    cast(null as varchar) as {{ field }},
    {% endfor -%}
    cast(null as varchar) as customer_email,
    cast(null as integer) as quantity,
    {% for field in amount_fields -%}
    cast(null as bigint) as {{ field }},
    {% endfor -%}
    cast(null as bigint) as gross_amount_vnd,
    cast(null as boolean) as has_parsed_values,
    cast(null as boolean) as order_ts_unverified,
    cast(null as boolean) as address_unverified,
    cast(null as boolean) as line_fields_unverified,
    cast(null as varchar) as reason,
    cast(null as varchar) as reason_detail,
    cast(null as varchar) as source_file,
    cast(null as varchar) as source_file_sha256,
    cast(null as bigint) as source_row_number,
    cast(null as {{ utc_timestamp_type() }}) as loaded_at,
    cast(null as varchar) as run_id
where 1 = 0
{% endif %}

{#- Join a sale to the dim_location version valid on its order date, the one rule both
    fct_sales and int_sales_orphans apply, so "unresolved" means the same in both.

    A row naming a district joins that district's version (only pre-reform orders have
    districts); a row naming only a province joins the province-level version, which
    is an old province before 1 July 2025 and a new one from then. Two left joins on
    equality plus the date range, rather than one join with OR, keep it a hash join.
    `location_key()` gives the matched key, null when nothing matched. -#}

{% macro location_on_order_date_joins(alias, order_date) -%}
left join {{ ref("dim_location") }} as {{ alias }}_district
    on {{ alias }}_district.location_level = 'district'
    and {{ alias }}_district.district_code = {{ alias }}.district_code
    and {{ order_date }} >= {{ alias }}_district.effective_from
    and {{ order_date }} <= coalesce({{ alias }}_district.effective_to, cast('9999-12-31' as date))
left join {{ ref("dim_location") }} as {{ alias }}_province
    on {{ alias }}.district_code is null
    and {{ alias }}_province.location_level = 'province'
    and {{ alias }}_province.province_code = {{ alias }}.province_code
    and {{ order_date }} >= {{ alias }}_province.effective_from
    and {{ order_date }} <= coalesce({{ alias }}_province.effective_to, cast('9999-12-31' as date))
{%- endmacro %}

{% macro location_key(alias) -%}
coalesce({{ alias }}_district.location_key, {{ alias }}_province.location_key)
{%- endmacro %}

{#- Yearly revenue per post-reform province next to the national economy, dense: one
    row per (year, province_code) for every year of the month spine and every province
    that ever sold (fct_sales_monthly_by_province is dense), so a province with sales one
    year and none the next shows 0 and -100 %; plus a country row per year
    (`geo_level = 'country'`, province_code `VN`, all provinces and `unknown` together).

    Revenue is net revenue of completed lines in nominal VND. `net_revenue_nominal_growth_pct`
    compares it with the previous calendar year (joined on year - 1, so a missing year
    gives null, not a comparison with an older one; null when the previous year sold
    nothing). `net_revenue_real_growth_pct` removes CPI inflation:
    (1 + nominal) / (1 + inflation) - 1, in percent; null while the World Bank has not
    published the year's inflation. `gdp_current_usd_growth_pct` is the change of GDP in
    current US$ (nominal, exchange-rate driven); `gdp_real_growth_pct` is the World Bank's
    GDP growth at constant prices. `is_small_base` flags growth on a tiny base: the rule
    (vars `small_base_revenue_share`, `small_base_min_months`) is declared once in
    dbt_project.yml. A year with sales in fewer than 12 months (`months_with_sales`) is a
    partial year: its growth compares unlike periods. -#}

with monthly as (

    select * from {{ ref("fct_sales_monthly_by_province") }}

),

macro as (

    select * from {{ ref("dim_macro_indicators") }}

),

yearly as (

    select
        cast(extract(year from order_month) as integer) as year,
        'province' as geo_level,
        province_code,
        province_name,
        count(distinct case when order_lines > 0 then order_month end) as months_with_sales,
        sum(completed_orders) as completed_orders,
        sum(net_revenue_vnd) as net_revenue_vnd
    from monthly
    group by cast(extract(year from order_month) as integer), province_code, province_name

    union all

    select
        cast(extract(year from order_month) as integer) as year,
        'country' as geo_level,
        'VN' as province_code,
        'Việt Nam' as province_name,
        count(distinct case when order_lines > 0 then order_month end) as months_with_sales,
        sum(completed_orders) as completed_orders,
        sum(net_revenue_vnd) as net_revenue_vnd
    from monthly
    group by cast(extract(year from order_month) as integer)

),

growth as (

    select
        cur.*,
        prev.net_revenue_vnd as prev_year_net_revenue_vnd,
        prev.months_with_sales as prev_year_months_with_sales,
        case
            when prev.net_revenue_vnd > 0
                then (cast(cur.net_revenue_vnd as double) / cast(prev.net_revenue_vnd as double) - 1) * 100
        end as net_revenue_nominal_growth_pct
    from yearly as cur
    left join yearly as prev
        on prev.province_code = cur.province_code
        and prev.year = cur.year - 1

)

select
    g.year,
    g.geo_level,
    g.province_code,
    g.province_name,
    cast(g.months_with_sales as integer) as months_with_sales,
    cast(g.completed_orders as bigint) as completed_orders,
    cast(g.net_revenue_vnd as bigint) as net_revenue_vnd,
    cast(g.prev_year_net_revenue_vnd as bigint) as prev_year_net_revenue_vnd,
    cast(g.prev_year_months_with_sales as integer) as prev_year_months_with_sales,
    g.net_revenue_nominal_growth_pct,
    g.net_revenue_nominal_growth_pct is not null
    and (
        cast(g.prev_year_net_revenue_vnd as double)
            < {{ var("small_base_revenue_share") }} * cast(g.net_revenue_vnd as double)
        or g.prev_year_months_with_sales < {{ var("small_base_min_months") }}
    ) as is_small_base,
    m.inflation_cpi_pct,
    ((1 + g.net_revenue_nominal_growth_pct / 100) / (1 + m.inflation_cpi_pct / 100) - 1) * 100
        as net_revenue_real_growth_pct,
    m.gdp_current_usd_growth_pct,
    m.gdp_real_growth_pct
from growth as g
left join macro as m
    on m.year = g.year

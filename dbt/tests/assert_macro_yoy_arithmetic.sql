{#- Recompute every year-over-year figure of dim_macro_indicators from silver, joining
    the previous calendar year, and return the rows that disagree. GDP (current US$)
    changes in US$ and percent; the rates change in percentage points only, so their
    expected percent is not compared. -#}
{% set columns = {
    "NY.GDP.MKTP.CD": ("gdp_current_usd_yoy_change", "gdp_current_usd_growth_pct"),
    "FP.CPI.TOTL.ZG": ("inflation_cpi_change_pp", "null"),
    "SL.UEM.TOTL.ZS": ("unemployment_change_pp", "null"),
} %}

with silver as (
    select indicator_code, year, value from {{ ref("stg_wb_indicators") }}
),

expected as (
    select
        cur.indicator_code,
        cur.year,
        cur.value - prev.value as yoy_change,
        case when cur.indicator_code = 'NY.GDP.MKTP.CD'
            then (cur.value - prev.value) / abs(prev.value) * 100 end as yoy_pct
    from silver as cur
    inner join silver as prev
        on prev.indicator_code = cur.indicator_code and prev.year = cur.year - 1
    where prev.value <> 0
        and cur.indicator_code in ('{{ columns.keys() | join("', '") }}')
),

actual as (
    {%- for code, (change, pct) in columns.items() %}
    select '{{ code }}' as indicator_code, year, {{ change }} as yoy_change, {{ pct }} as yoy_pct
    from {{ ref("dim_macro_indicators") }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select e.indicator_code, e.year, e.yoy_change, a.yoy_change as actual_change, e.yoy_pct, a.yoy_pct as actual_pct
from expected as e
left join actual as a
    on a.indicator_code = e.indicator_code and a.year = e.year
where a.year is null
    or a.yoy_change is null
    or abs(a.yoy_change - e.yoy_change) > 1e-6 * greatest(abs(e.yoy_change), 1)
    or (e.yoy_pct is null) <> (a.yoy_pct is null)
    or abs(a.yoy_pct - e.yoy_pct) > 1e-9 * greatest(abs(e.yoy_pct), 1)

{#- Recompute every year-over-year figure of dim_macro_indicators from silver, joining
    the previous calendar year, and return the rows that disagree. -#}
{% set columns = {
    "gdp_current_usd": "NY.GDP.MKTP.CD",
    "inflation_cpi_pct": "FP.CPI.TOTL.ZG",
    "unemployment_pct": "SL.UEM.TOTL.ZS",
} %}

with silver as (
    select indicator_code, year, value from {{ ref("stg_wb_indicators") }}
),

expected as (
    select
        cur.indicator_code,
        cur.year,
        cur.value - prev.value as yoy_change,
        (cur.value - prev.value) / abs(prev.value) * 100 as yoy_pct
    from silver as cur
    inner join silver as prev
        on prev.indicator_code = cur.indicator_code and prev.year = cur.year - 1
    where prev.value <> 0
),

actual as (
    {%- for column, code in columns.items() %}
    select '{{ code }}' as indicator_code, year, {{ column }}_yoy_change as yoy_change, {{ column }}_yoy_pct as yoy_pct
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
    or abs(a.yoy_pct - e.yoy_pct) > 1e-9 * greatest(abs(e.yoy_pct), 1)

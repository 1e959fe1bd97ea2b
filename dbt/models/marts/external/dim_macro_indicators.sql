{#- One row per year, one column per World Bank indicator, with last year's value and
    the change. The previous year is joined on `year - 1`, not taken with LAG, so a
    missing year yields null changes instead of comparing against an older year.

    GDP in current US$ changes in US$ (`_yoy_change`) and in percent
    (`gdp_current_usd_growth_pct`: nominal, moves with prices and the exchange rate).
    Real GDP growth is the World Bank's own figure at constant prices
    (NY.GDP.MKTP.KD.ZG), not derived here. Rates (inflation, unemployment) change in
    percentage points (`_change_pp`); a percent of a percent is not computed. -#}

{%- set indicators = {
    "gdp_current_usd": "NY.GDP.MKTP.CD",
    "gdp_real_growth_pct": "NY.GDP.MKTP.KD.ZG",
    "inflation_cpi_pct": "FP.CPI.TOTL.ZG",
    "unemployment_pct": "SL.UEM.TOTL.ZS",
} %}

with indicators as (

    select year, indicator_code, value
    from {{ ref("stg_wb_indicators") }}
    where indicator_code in ('{{ indicators.values() | join("', '") }}')

),

pivoted as (

    select
        year,
        {%- for column, code in indicators.items() %}
        max(case when indicator_code = '{{ code }}' then value end) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from indicators
    group by year

)

select
    cur.year,
    cast({{ dbt.concat(["cast(cur.year as varchar)", "'-01-01'"]) }} as date) as year_start_date,
    cur.gdp_current_usd,
    prev.gdp_current_usd as gdp_current_usd_prev_year,
    cur.gdp_current_usd - prev.gdp_current_usd as gdp_current_usd_yoy_change,
    case
        when prev.gdp_current_usd is null or prev.gdp_current_usd = 0 then null
        else (cur.gdp_current_usd - prev.gdp_current_usd) / abs(prev.gdp_current_usd) * 100
    end as gdp_current_usd_growth_pct,
    cur.gdp_real_growth_pct,
    {%- for rate in ["inflation_cpi_pct", "unemployment_pct"] %}
    cur.{{ rate }},
    prev.{{ rate }} as {{ rate }}_prev_year,
    cur.{{ rate }} - prev.{{ rate }} as {{ rate | replace("_pct", "") }}_change_pp{{ "," if not loop.last }}
    {%- endfor %}
from pivoted as cur
left join pivoted as prev
    on prev.year = cur.year - 1

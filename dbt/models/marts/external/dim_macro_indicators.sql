{#- One row per year, one column per indicator, with last year's value and the change.
    The previous year is joined on `year - 1`, not taken with LAG, so a missing year
    yields null changes instead of comparing against an older year. Rates (inflation,
    unemployment) change in percentage points: that is the `_yoy_change` column. -#}

with pivoted as (

    select
        year,
        max(case when indicator_code = 'NY.GDP.MKTP.CD' then value end) as gdp_current_usd,
        max(case when indicator_code = 'FP.CPI.TOTL.ZG' then value end) as inflation_cpi_pct,
        max(case when indicator_code = 'SL.UEM.TOTL.ZS' then value end) as unemployment_pct
    from {{ ref("stg_wb_indicators") }}
    where indicator_code in ('NY.GDP.MKTP.CD', 'FP.CPI.TOTL.ZG', 'SL.UEM.TOTL.ZS')
    group by year

)

select
    cur.year,
    cast({{ dbt.concat(["cast(cur.year as varchar)", "'-01-01'"]) }} as date) as year_start_date,
    {%- for column in ["gdp_current_usd", "inflation_cpi_pct", "unemployment_pct"] %}
    cur.{{ column }},
    prev.{{ column }} as {{ column }}_prev_year,
    cur.{{ column }} - prev.{{ column }} as {{ column }}_yoy_change,
    case
        when prev.{{ column }} is null or prev.{{ column }} = 0 then null
        else (cur.{{ column }} - prev.{{ column }}) / abs(prev.{{ column }}) * 100
    end as {{ column }}_yoy_pct{{ "," if not loop.last }}
    {%- endfor %}
from pivoted as cur
left join pivoted as prev
    on prev.year = cur.year - 1

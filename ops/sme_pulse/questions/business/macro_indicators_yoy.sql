-- GDP growth (% change of current-US$ GDP), inflation and unemployment (%), by year.
select
    year_start_date,
    gdp_current_usd_yoy_pct as gdp_growth_pct,
    inflation_cpi_pct,
    unemployment_pct
from gold.dim_macro_indicators
order by year_start_date

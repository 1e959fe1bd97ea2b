-- Vietnam's economy by year (World Bank): GDP growth in current US$ (nominal, moves with
-- prices and the exchange rate) and at constant prices (real), CPI inflation and
-- unemployment (percent of the labour force), each with its change on the previous year
-- in percentage points for the rates.
select
    year_start_date,
    gdp_current_usd_growth_pct,
    gdp_real_growth_pct,
    inflation_cpi_pct,
    inflation_cpi_change_pp,
    unemployment_pct,
    unemployment_change_pp
from gold.dim_macro_indicators
order by year_start_date

-- The whole shop per year: net revenue (VND), its growth on the previous year (nominal),
-- the same net of CPI inflation (real), and Vietnam's GDP growth (current US$). Real growth
-- and GDP are null until the World Bank publishes the year; a year with fewer than 12
-- months of sales compares unlike periods.
select
    year,
    months_with_sales,
    net_revenue_vnd,
    nominal_growth_pct,
    inflation_cpi_pct,
    real_growth_pct,
    gdp_growth_pct
from gold.mart_sales_vs_macro
where geo_level = 'country'
order by year

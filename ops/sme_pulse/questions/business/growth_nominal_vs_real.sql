-- The whole shop per year: net revenue (VND, nominal; completed lines), its growth on the
-- previous year in nominal VND and net of CPI inflation (real), whether that growth is on
-- a tiny base (is_small_base: rule in dbt_project.yml), and Vietnam's GDP growth both in
-- current US$ (nominal) and at constant prices (real). World Bank values are null until
-- published; a year with fewer than 12 months of sales compares unlike periods.
select
    year,
    months_with_sales,
    net_revenue_vnd,
    net_revenue_nominal_growth_pct,
    is_small_base,
    inflation_cpi_pct,
    net_revenue_real_growth_pct,
    gdp_current_usd_growth_pct,
    gdp_real_growth_pct
from gold.mart_sales_vs_macro
where geo_level = 'country'
order by year

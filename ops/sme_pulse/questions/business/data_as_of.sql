-- How current the business numbers are: when sales and the World Bank indicators were last
-- loaded, and the latest order date and indicator year they hold. Gold only: Metabase's
-- Trino login reads nothing else (trino/secure/rules.json).
select
    'sales' as subject,
    max(loaded_at) as last_loaded_at,
    max(order_date) as latest_data_date
from gold.fct_sales
union all
select
    'macro' as subject,
    loads.last_loaded_at,
    years.latest_data_date
from gold.source_freshness as loads
cross join (select max(year_start_date) as latest_data_date from gold.dim_macro_indicators) as years
where loads.source_name = 'bronze_external' and loads.table_name = 'wb_indicators'

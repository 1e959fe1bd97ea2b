select
    source_name,
    table_name,
    last_loaded_at,
    warn_after,
    error_after,
    round(hours_since_load, 1) as hours_since_load,
    status,
    checked_at
from gold.source_freshness
order by
    case status when 'stale' then 0 when 'warn' then 1 when 'fresh' then 2 else 3 end,
    source_name,
    table_name

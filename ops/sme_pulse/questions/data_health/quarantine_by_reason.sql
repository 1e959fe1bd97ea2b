select
    source_table,
    reason,
    sum(quarantined_rows) as quarantined_rows
from gold.quarantine_counts
group by source_table, reason
order by quarantined_rows desc, source_table, reason

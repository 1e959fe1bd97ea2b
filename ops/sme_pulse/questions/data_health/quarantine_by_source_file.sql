select
    source_table,
    source_file,
    sum(quarantined_rows) as quarantined_rows
from gold.quarantine_counts
group by source_table, source_file
order by source_table, source_file

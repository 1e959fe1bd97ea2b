select
    source,
    check_name,
    expected_rows,
    actual_rows,
    difference
from gold.row_accounting
order by source, check_name

{#- The row accounting of silver.int_row_reconciliation, published in gold: the schema
    Metabase and the report read (Metabase's Trino login may read gold only). -#}

with reconciliation as (

    select * from {{ ref("int_row_reconciliation") }}

)

select
    source,
    check_name,
    expected_rows,
    actual_rows,
    difference
from reconciliation

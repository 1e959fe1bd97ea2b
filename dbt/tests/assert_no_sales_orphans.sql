{#- Reports orders referencing an unknown customer or location (int_sales_orphans) as a
    warning with their count: the data stays in gold and the run goes on, but the
    number is in every dbt log and in the sales DAG summary. -#}
{{ config(severity="warn") }}

select order_id, orphan_reason, referenced_value, order_date, channel
from {{ ref("int_sales_orphans") }}

{#- Rows the ingestion rejected, by bronze table, what they were read from and reason.

    Sales rows count only for the file version a load manifest commits, as bronze does
    (a load in progress or a superseded version is not counted), so the sales total is
    the manifests' `rows_quarantined` in silver.int_row_reconciliation. `source_file` is
    the landing file for sales and the ingestion partition (`ingest_date=<d>`) for the
    API sources and the order-event stream, which have no file. -#}

with

sales as (

    {{ quarantined_rows(
        "sales_order_lines",
        "q.source_file",
        committed="exists (select 1 from " ~ source("bronze_sales", "load_manifest") ~ " as m"
            ~ " where m.source_file = q.source_file"
            ~ " and m.source_file_sha256 = q.source_file_sha256)",
    ) }}

),

crm as (

    {{ quarantined_rows("crm_customers", "'ingest_date=' || q.ingest_date") }}

),

world_bank as (

    {{ quarantined_rows("wb_indicators", "'ingest_date=' || q.ingest_date") }}

),

provinces as (

    {{ quarantined_rows("vn_provinces", "'ingest_date=' || q.ingest_date") }}

),

districts as (

    {{ quarantined_rows("vn_districts", "'ingest_date=' || q.ingest_date") }}

),

stream as (

    {{ quarantined_rows("stream_order_events", "'ingest_date=' || q.ingest_date") }}

),

rejected as (

    select * from sales
    union all
    select * from crm
    union all
    select * from world_bank
    union all
    select * from provinces
    union all
    select * from districts
    union all
    select * from stream

)

select
    source_table,
    source_file,
    reason,
    cast(count(*) as bigint) as quarantined_rows
from rejected
group by source_table, source_file, reason

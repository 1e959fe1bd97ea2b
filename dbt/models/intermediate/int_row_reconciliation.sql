{#- Every row accounted for, from the landing file to silver: one row per check and source.

    `file → bronze` per committed file version: rows read = loaded + quarantined, and the
    loaded rows are exactly the bronze rows carrying that version. `bronze → silver`: every
    committed bronze row is in silver once, or counted as a copy of the row that won
    (`bronze_copies`, `bronze_versions`). `quarantine → outcome`: every committed
    quarantined row (the manifests' `rows_quarantined`) is a copy of a line the
    partial-order policy judged (int_sales_quarantine_outcomes: superseded, repaired,
    held back or naming no order). `silver → gold`: every silver line is counted in gold
    (int_sales_lines_counted) or held back with its order (int_sales_held_back_orders).
    A `difference` other than 0 fails the test on it, so gold is not rebuilt from rows
    that went missing; the run's summary prints this table. -#}

with manifest as (

    select * from {{ ref("stg_sales_load_manifest") }}

),

bronze_lines as (

    select source_file, source_file_sha256, count(*) as bronze_rows
    from {{ source("bronze_sales", "order_lines") }}
    group by source_file, source_file_sha256

),

committed_lines as (

    select
        manifest.source_file,
        manifest.rows_read,
        manifest.rows_loaded,
        manifest.rows_quarantined,
        coalesce(bronze_lines.bronze_rows, 0) as bronze_rows
    from manifest
    left join bronze_lines
        on bronze_lines.source_file = manifest.source_file
        and bronze_lines.source_file_sha256 = manifest.source_file_sha256

),

silver_lines as (

    select count(*) as silver_rows, coalesce(sum(bronze_copies), 0) as bronze_rows_kept
    from {{ ref("stg_sales_order_lines") }}

),

judged_quarantine as (

    select coalesce(sum(quarantine_copies), 0) as quarantined_rows
    from {{ ref("int_sales_quarantine_outcomes") }}

),

gold_lines as (

    select
        coalesce(sum(case when line_repair is null then 1 else 0 end), 0) as committed_counted
    from {{ ref("int_sales_lines_counted") }}

),

held_back_lines as (

    select coalesce(sum(committed_lines), 0) as committed_held_back
    from {{ ref("int_sales_held_back_orders") }}

),

bronze_customers as (

    select count(*) as bronze_rows from {{ source("bronze_crm", "customers") }}

),

silver_customers as (

    select count(*) as silver_rows, coalesce(sum(bronze_versions), 0) as bronze_rows_kept
    from {{ ref("stg_customers") }}

),

checks as (

    select
        'file = loaded + quarantined' as check_name,
        'sales' as source,
        coalesce(sum(rows_read), 0) as expected_rows,
        coalesce(sum(rows_loaded + rows_quarantined), 0) as actual_rows
    from committed_lines

    union all

    select
        'loaded = bronze' as check_name,
        'sales' as source,
        coalesce(sum(rows_loaded), 0) as expected_rows,
        coalesce(sum(bronze_rows), 0) as actual_rows
    from committed_lines

    union all

    select
        'bronze = silver + copies' as check_name,
        'sales' as source,
        (select sum(bronze_rows) from committed_lines) as expected_rows,
        bronze_rows_kept as actual_rows
    from silver_lines

    union all

    select
        'quarantined = judged lines + copies' as check_name,
        'sales' as source,
        (select sum(rows_quarantined) from committed_lines) as expected_rows,
        quarantined_rows as actual_rows
    from judged_quarantine

    union all

    select
        'silver = gold + held back' as check_name,
        'sales' as source,
        silver_lines.silver_rows as expected_rows,
        gold_lines.committed_counted + held_back_lines.committed_held_back as actual_rows
    from silver_lines
    cross join gold_lines
    cross join held_back_lines

    union all

    select
        'bronze = silver + copies' as check_name,
        'crm' as source,
        bronze_customers.bronze_rows as expected_rows,
        silver_customers.bronze_rows_kept as actual_rows
    from bronze_customers
    cross join silver_customers

)

select
    check_name,
    source,
    cast(coalesce(expected_rows, 0) as bigint) as expected_rows,
    cast(actual_rows as bigint) as actual_rows,
    cast(actual_rows - coalesce(expected_rows, 0) as bigint) as difference
from checks

{#- The table the on-run-end hook `record_run_results` appends each invocation's node
    results to. Built here only to declare, document and test it: every build appends
    nothing, and a full refresh keeps the history. -#}

{{ config(materialized="incremental", full_refresh=false) }}

{{ dbt_run_results_columns() }}

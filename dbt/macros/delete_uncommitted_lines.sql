{#- Post-hook of stg_sales_order_lines: after an incremental run, delete the lines whose
    copy came from a file version the load manifest no longer names (a corrected export
    superseded it) and that no committed copy replaced. A full build has none. -#}
{% macro delete_uncommitted_lines() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where source_file || '|' || source_file_sha256 not in (
            select source_file || '|' || source_file_sha256
            from {{ source("bronze_sales", "load_manifest") }}
        )
    {%- endif -%}
{%- endmacro %}

{#- Whether a corrected export (a new version of a file already loaded) arrived since
    the incremental model `this` was last built. Superseded parts leave bronze, so the
    lines a correction dropped leave no trace a daily run could find; the incremental
    sales models then recompute everything, as a full build would. Offline compilation
    (no warehouse to ask) compiles the daily path. -#}
{% macro corrected_since_last_run() -%}
    {%- if not execute or var("compile_offline", false) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set sql -%}
        select count(*)
        from {{ source("bronze_sales", "load_manifest") }}
        where supersedes_sha256 is not null
            and loaded_at > (select max(loaded_at) from {{ this }})
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values()[0] > 0) }}
{%- endmacro %}

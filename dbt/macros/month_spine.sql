{#- Date spines built from digits, so they run on DuckDB and Trino alike (no
    generate_series, no sequence/unnest). -#}

{% macro month_offsets() -%}
    {#- The numbers 0..999 as column `n`: month offsets, more history than any SME export
        reaches. A query to use as a subquery. -#}
    select units.d + 10 * tens.d + 100 * hundreds.d as n
    from {{ _digits() }} as units
    cross join {{ _digits() }} as tens
    cross join {{ _digits() }} as hundreds
{%- endmacro %}

{% macro _digits() -%}
    ({%- for digit in range(10) %}select {{ digit }} as d{{ " union all " if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro month_spine(relation, month_column) -%}
    {#- Every month (first day, as a date) from the first to the last `month_column` of
        `relation`, months without rows included, as column `month_start`. A query to use
        as a subquery or CTE body. -#}
    select cast({{ dbt.dateadd("month", "offsets.n", "bounds.first_month") }} as date) as month_start
    from (
        select min({{ month_column }}) as first_month, max({{ month_column }}) as last_month
        from {{ relation }}
    ) as bounds
    inner join ({{ month_offsets() }}) as offsets
        on offsets.n <= {{ dbt.datediff("bounds.first_month", "bounds.last_month", "month") }}
{%- endmacro %}

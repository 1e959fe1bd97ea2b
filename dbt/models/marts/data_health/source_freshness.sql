{#- Per bronze table: when it last received rows, against the SLA its source declares.

    The SLAs are read from the project's sources (`freshness` and `loaded_at_field` in
    dbt/models/staging/*/_*__sources.yml), never restated: a table without a
    `loaded_at_field` is not measured, one whose `freshness` is null has no SLA, one with
    no file yet has no last load (on DuckDB, see `lake_files_exist`). The run's
    start time is the clock, so a re-run gives other ages: a run record, not a fact. -#}

{%- set periods = {"minute": 1 / 60, "hour": 1, "day": 24} -%}
{%- set measured = [] -%}
{%- if execute -%}
    {%- for node in graph.sources.values() | sort(attribute="unique_id") -%}
        {%- if node.loaded_at_field -%}
            {%- do measured.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

{% for node in measured -%}
{%- set sla = node.freshness or {} -%}
{%- set warn = sla.warn_after if sla.warn_after and sla.warn_after.count else none -%}
{%- set error = sla.error_after if sla.error_after and sla.error_after.count else none -%}
{%- set relation = source(node.source_name, node.name) -%}
loads_{{ loop.index }} as (

    select
        '{{ node.source_name }}' as source_name,
        '{{ node.name }}' as table_name,
        '{{ node.loaded_at_field }}' as loaded_at_field,
        {% if lake_files_exist(relation) -%}
        (
            select cast(max({{ node.loaded_at_field }}) as {{ utc_timestamp_type() }})
            from {{ relation }}
        ) as last_loaded_at,
        {%- else -%}
        cast(null as {{ utc_timestamp_type() }}) as last_loaded_at,
        {%- endif %}
        cast({{ sql_text(warn.count ~ " " ~ warn.period if warn else none) }} as varchar)
            as warn_after,
        cast({{ sql_text(error.count ~ " " ~ error.period if error else none) }} as varchar)
            as error_after,
        cast({{ warn.count * periods[warn.period] if warn else "null" }} as double)
            as warn_after_hours,
        cast({{ error.count * periods[error.period] if error else "null" }} as double)
            as error_after_hours

),

{% endfor -%}
loads as (

    {% for node in measured -%}
    select * from loads_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
    {% else -%}
    select
        cast(null as varchar) as source_name,
        cast(null as varchar) as table_name,
        cast(null as varchar) as loaded_at_field,
        cast(null as {{ utc_timestamp_type() }}) as last_loaded_at,
        cast(null as varchar) as warn_after,
        cast(null as varchar) as error_after,
        cast(null as double) as warn_after_hours,
        cast(null as double) as error_after_hours
    where 1 = 0
    {%- endfor %}

),

aged as (

    select
        loads.*,
        {{ utc_timestamp(run_started_at) }} as checked_at,
        cast(date_diff('second', last_loaded_at, {{ utc_timestamp(run_started_at) }}) as double)
            / 3600 as hours_since_load
    from loads

)

select
    source_name,
    table_name,
    loaded_at_field,
    last_loaded_at,
    warn_after,
    error_after,
    warn_after_hours,
    error_after_hours,
    checked_at,
    hours_since_load,
    case
        when warn_after_hours is null and error_after_hours is null then 'no sla'
        when last_loaded_at is null then 'stale'
        when hours_since_load > error_after_hours then 'stale'
        when hours_since_load > warn_after_hours then 'warn'
        else 'fresh'
    end as status
from aged

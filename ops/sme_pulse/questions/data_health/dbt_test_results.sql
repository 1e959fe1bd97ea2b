with runs as (
    select
        unique_id,
        node_name,
        run_started_at,
        status,
        failures,
        row_number() over (
            partition by unique_id order by run_started_at desc, invocation_id desc
        ) as recency
    from gold.dbt_run_results
    where resource_type = 'test'
)

select
    max(case when recency = 1 then node_name end) as test_name,
    max(case when recency = 1 then run_started_at end) as last_run_started_at,
    max(case when recency = 1 then status end) as last_status,
    max(case when recency = 1 then failures end) as last_failures,
    count(case when status = 'pass' then 1 end) as runs_passed,
    count(*) as runs_counted
from runs
where recency <= 5
group by unique_id
order by
    max(case when recency = 1 and status <> 'pass' then 0 else 1 end),
    test_name

{#- The reform's shape: 63 old provinces each map to one of the 34 new ones, every new
    province receives at least one old province, and each new province maps to itself.
    Returns one row per broken expectation. -#}

with crosswalk as (
    select * from {{ ref("int_location_crosswalk") }}
),

counts as (
    select
        sum(case when admin_version = 'v1' then 1 else 0 end) as old_provinces,
        sum(case when admin_version = 'v2' then 1 else 0 end) as new_provinces,
        count(distinct case when admin_version = 'v1' then new_province_code end) as reached,
        sum(case when admin_version = 'v2' and new_province_code <> province_code then 1 else 0 end)
            as v2_not_identity
    from crosswalk
)

select 'old provinces' as expectation, old_provinces as actual from counts where old_provinces <> 63
union all
select 'new provinces', new_provinces from counts where new_provinces <> 34
union all
select 'new provinces reached from old ones', reached from counts where reached <> 34
union all
select 'v2 codes mapping elsewhere', v2_not_identity from counts where v2_not_identity <> 0

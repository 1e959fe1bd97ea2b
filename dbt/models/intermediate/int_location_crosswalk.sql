{#- Any province code a sale or customer can carry, with the post-reform province it
    rolls up to: one row per (admin_version, province_code).

    The 1 July 2025 reform reused codes (old 08 Tuyên Quang and new 08 Tuyên Quang cover
    different territory), so a code alone is ambiguous and the key includes the version.
    v1 rows are the 63 old provinces from the seed province_crosswalk_2025, each mapped
    to the new province that received its wards; v2 rows are the 34 new provinces
    mapped to themselves, so post-reform orders go through the same lookup. -#}

with new_provinces as (

    select
        cast(province_code as varchar) as province_code,
        cast(province_name as varchar) as province_name
    from {{ ref("vn_provinces_2025") }}

),

merges as (

    select
        cast(new_province_code as varchar) as new_province_code,
        count(*) as old_provinces_merged
    from {{ ref("province_crosswalk_2025") }}
    group by cast(new_province_code as varchar)

),

mapped as (

    select
        'v1' as admin_version,
        cast(cw.old_province_code as varchar) as province_code,
        cast(cw.old_province_name as varchar) as province_name,
        np.province_code as new_province_code,
        np.province_name as new_province_name
    from {{ ref("province_crosswalk_2025") }} as cw
    inner join new_provinces as np
        on np.province_code = cast(cw.new_province_code as varchar)

    union all

    select
        'v2' as admin_version,
        province_code,
        province_name,
        province_code as new_province_code,
        province_name as new_province_name
    from new_provinces

)

select
    m.admin_version,
    m.province_code,
    m.province_name,
    m.new_province_code,
    m.new_province_name,
    cast(coalesce(g.old_provinces_merged, 0) as integer) as old_provinces_merged,
    m.admin_version = 'v1' and m.province_code <> m.new_province_code as code_changed
from mapped as m
left join merges as g
    on g.new_province_code = m.new_province_code

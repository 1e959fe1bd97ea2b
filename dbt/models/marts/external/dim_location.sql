{#- Every administrative unit a sale can be addressed to, as SCD2 versions.

    The 1 July 2025 reform merged 63 provinces into 34 and removed districts. Before it,
    units come from the provinces API v1: 696 districts and their 63 provinces, valid from
    the start of our history to the day before the reform (`effective_to` is inclusive).
    From the reform, the 34 new provinces (seed vn_provinces_2025) are valid with no end.
    Province rows (`location_level = 'province'`, district columns null) serve orders
    that name a province but no district, which is every order from the reform on.

    Every row also names the new province it belongs to (`new_province_code`, from the
    seed province_crosswalk_2025 for old units, itself for new ones), so history and new
    orders roll up to the same 34 provinces. -#}

{%- set reform_date = "cast('" ~ var("admin_reform_date") ~ "' as date)" %}

with districts as (

    select * from {{ ref("stg_vietnam_locations") }} where location_level = 2

),

provinces as (

    select * from {{ ref("stg_vietnam_locations") }} where location_level = 1

),

new_provinces as (

    select
        cast(province_code as varchar) as province_code,
        cast(province_name as varchar) as province_name,
        case
            when cast(unit_type as varchar) = 'Thành phố' then 'thành phố trung ương'
            else lower(cast(unit_type as varchar))
        end as division_type
    from {{ ref("vn_provinces_2025") }}

),

crosswalk as (

    select
        cast(cw.old_province_code as varchar) as old_province_code,
        np.province_code as new_province_code,
        np.province_name as new_province_name
    from {{ ref("province_crosswalk_2025") }} as cw
    inner join new_provinces as np
        on np.province_code = cast(cw.new_province_code as varchar)

),

versioned as (

    select
        'district' as location_level,
        d.location_code as district_code,
        d.location_name as district_name,
        d.division_type as district_division_type,
        p.location_code as province_code,
        p.location_name as province_name,
        p.division_type as province_division_type,
        'v1' as admin_version,
        d.api_version,
        cast('{{ var("location_history_start") }}' as date) as effective_from,
        cast({{ dbt.dateadd("day", -1, reform_date) }} as date) as effective_to
    from districts as d
    inner join provinces as p
        on p.location_code = d.parent_location_code

    union all

    select
        'province' as location_level,
        cast(null as varchar) as district_code,
        cast(null as varchar) as district_name,
        cast(null as varchar) as district_division_type,
        p.location_code as province_code,
        p.location_name as province_name,
        p.division_type as province_division_type,
        'v1' as admin_version,
        p.api_version,
        cast('{{ var("location_history_start") }}' as date) as effective_from,
        cast({{ dbt.dateadd("day", -1, reform_date) }} as date) as effective_to
    from provinces as p

    union all

    select
        'province' as location_level,
        cast(null as varchar) as district_code,
        cast(null as varchar) as district_name,
        cast(null as varchar) as district_division_type,
        np.province_code,
        np.province_name,
        np.division_type as province_division_type,
        'v2' as admin_version,
        cast(null as varchar) as api_version,
        {{ reform_date }} as effective_from,
        cast(null as date) as effective_to
    from new_provinces as np

)

select
    case
        when v.location_level = 'district'
            then {{ dbt.hash(dbt.concat(["'district|'", "v.district_code", "'|'", "cast(v.effective_from as varchar)"])) }}
        else {{ dbt.hash(dbt.concat(["'province|'", "v.province_code", "'|'", "cast(v.effective_from as varchar)"])) }}
    end as location_key,
    v.location_level,
    v.district_code,
    v.district_name,
    v.district_division_type,
    v.province_code,
    v.province_name,
    v.province_division_type,
    v.admin_version,
    case when v.admin_version = 'v2' then v.province_code else cw.new_province_code end as new_province_code,
    case when v.admin_version = 'v2' then v.province_name else cw.new_province_name end as new_province_name,
    v.api_version,
    v.effective_from,
    v.effective_to,
    coalesce(v.effective_to >= current_date, true) as is_current
from versioned as v
left join crosswalk as cw
    on v.admin_version = 'v1'
    and cw.old_province_code = v.province_code

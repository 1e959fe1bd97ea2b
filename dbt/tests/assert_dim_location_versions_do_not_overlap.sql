{#- Orders join dim_location on "order date between effective_from and effective_to", so
    two versions of one unit valid on the same day would duplicate sales lines. Returns
    every pair of versions of the same unit whose validity overlaps. -#}

with versions as (
    select
        location_key,
        location_level,
        province_code,
        coalesce(district_code, '') as district_code,
        effective_from,
        coalesce(effective_to, cast('9999-12-31' as date)) as effective_to
    from {{ ref("dim_location") }}
)

select a.location_key, b.location_key as overlapping_key, a.location_level, a.province_code, a.district_code
from versions as a
inner join versions as b
    on b.location_level = a.location_level
    and b.province_code = a.province_code
    and b.district_code = a.district_code
    and b.location_key > a.location_key
    and b.effective_from <= a.effective_to
    and a.effective_from <= b.effective_to

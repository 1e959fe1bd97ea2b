{#- fct_sales takes its reporting province from int_location_crosswalk and its location
    from dim_location; both derive from the same reform seeds and must agree. Returns the
    lines whose dim_location version rolls up to another new province. -#}

select s.order_id, s.line_no, s.reporting_province_code, l.new_province_code
from {{ ref("fct_sales") }} as s
inner join {{ ref("dim_location") }} as l
    on l.location_key = s.location_key
where s.reporting_province_code is null
    or s.reporting_province_code <> l.new_province_code

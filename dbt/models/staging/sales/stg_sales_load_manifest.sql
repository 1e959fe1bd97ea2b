{#- The current load of every landing file: which version (SHA-256) counts and what became
    of its rows. The manifest object is replaced whole on each load, so there is one row
    per file already; reading it through this model gives the rest of silver one place
    that defines a committed load. -#}

select
    cast(file_slug as varchar) as file_slug,
    source_file,
    source_file_sha256,
    source_file_bytes,
    file_format,
    encoding,
    delimiter,
    status,
    cast(version as integer) as version,
    supersedes_sha256,
    rows_read,
    rows_loaded,
    rows_quarantined,
    columns_reordered,
    loaded_at,
    run_id
from {{ source("bronze_sales", "load_manifest") }}

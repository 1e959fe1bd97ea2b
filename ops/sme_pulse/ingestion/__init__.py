"""The ingestion core every file and API source shares.

Value parsers (`values`), Vietnam's administrative units (`admin_units`), the field rules
and reason wording (`rules`), header mapping and schema drift (`drift`), the readers that
turn CSV, JSON Lines and XLSX into Arrow blocks (`readers`, `blocks`, `encodings`), column
expressions that check whole blocks at once (`columns`), Parquet parts (`parts`) and the
run report (`report`). `sales/` and `crm/` keep only their own contracts and layouts.
"""

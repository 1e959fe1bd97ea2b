{#- Reconciliation test: the total of `column_name` in the model equals the total of
    `field` in `to` (a roll-up must neither lose nor double revenue). Returns one row with
    both totals when they differ. -#}
{% test total_matches(model, column_name, to, field) %}
with model_total as (
    select coalesce(sum({{ column_name }}), 0) as total from {{ model }}
),

source_total as (
    select coalesce(sum({{ field }}), 0) as total from {{ to }}
)

select m.total as model_total, s.total as source_total
from model_total as m
cross join source_total as s
where m.total <> s.total
{% endtest %}

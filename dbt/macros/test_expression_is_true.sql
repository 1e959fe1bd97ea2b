{#- Row-level rule test without a package: returns the rows for which `expression` is not
    true (false or null), so a rule on a nullable column must say how nulls count. Under a
    column it still takes the whole expression: the column only places it in the docs. -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}

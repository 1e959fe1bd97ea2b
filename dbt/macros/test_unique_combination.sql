{#- Grain test for a multi-column key, without pulling in a package (dbt deps would need
    the network, which neither CI nor an air-gapped install has). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(", ") }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(", ") }}
having count(*) > 1
{% endtest %}

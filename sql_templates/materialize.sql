{#-
  name: materialize
  Store a query's rows as a table or a view: CREATE [OR REPLACE] TABLE|VIEW destination AS body.
  Without `replace` an existing destination is an error, never overwritten.
  params:
    destination   identifiers.Source (a table name)
    kind          'TABLE' | 'VIEW'
    replace       bool
    body          the rendered SELECT (values inlined: views cannot hold query parameters)
    options       splitting.TableOptions or none (tables only; BigQuery's PARTITION BY, CLUSTER BY, OPTIONS)
-#}
CREATE {{ 'OR REPLACE ' if replace }}{{ 'VIEW' if kind == 'VIEW' else 'TABLE' }} {{ sql.relation(destination) }}
{%- if options %}{{ sql.table_options(options) }}{% endif %} AS
{{ body }}

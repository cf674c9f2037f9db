{#-
  name: select_all
  Every column of `src`; used for dry runs that read the schema.
  params: src (identifiers.Source)
-#}
SELECT * FROM {{ sql.relation(src) }}

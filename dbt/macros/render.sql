{#-
  render.sql: call one of the toolkit's shared templates (sql_templates/, read through macro-paths) from dbt.

  In Python the templates are rendered by bqml_tools/sql/render.py: `sql.<name>` is its dialect dispatcher,
  `k`, `c`, `b`, `m` and `hashing` the imported split/_keys.sql, evaluate/_common.sql, _binary.sql and _multiclass.sql, and the template's values (src, key, plan, ...) its render context. dbt
  compiles each macro on its own, with the node's context as its globals (a live dict, `context`), so here
  `render_template` puts the same names into that context for the length of one call and takes them out
  again: `sql` is a mapping of every dialect macro name to adapter.dispatch(name, 'bqml_tools') (so a
  project can override one with dispatch config, as with dbt_utils), `k`, `c`, `b`, `m`, `hashing` and the bare macro names are the
  package's own macros, and `values` are plain mappings and lists (Jinja reads `plan.buckets` from a dict as
  it does from the Python dataclass). Values are always written inline (literals), never bound.
-#}

{# A number as an SQL literal (render.py's number_literal): integers as digits, floats as repr. #}
{% macro number_literal(value) %}
  {%- if value is boolean or value is not number -%}{{ exceptions.raise_compiler_error('not a number: ' ~ value) }}{%- endif -%}
  {%- if value is float and value * 0 != 0 -%}{{ exceptions.raise_compiler_error('not a finite number: ' ~ value) }}{%- endif -%}
  {{- value | string -}}
{% endmacro %}

{% macro raise_error(message) %}{{ exceptions.raise_compiler_error(message) }}{% endmacro %}

{# `sql` of the templates: dialect macro name -> the macro adapter.dispatch picks for this adapter. #}
{% macro dialect_dispatcher() %}
  {%- set names = [] -%}
  {%- for macro_name in bqml_tools -%}
    {%- if '__' in macro_name -%}
      {%- set name = macro_name.split('__', 1)[1] -%}
      {%- if name not in names and ((adapter.type() ~ '__' ~ name) in bqml_tools or ('default__' ~ name) in bqml_tools) -%}
        {%- do names.append(name) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set out = {} -%}
  {#- through a name: dbt's static parser reads adapter.dispatch calls and wants a literal macro name there -#}
  {%- set dispatch = adapter.dispatch -%}
  {%- for name in names -%}{%- do out.update({name: dispatch(name, 'bqml_tools')}) -%}{%- endfor -%}
  {{- return(out) -}}
{% endmacro %}

{# Render the template macro `template` (e.g. 'split_template', sql_templates/split/split.sql) with `values`. #}
{% macro render_template(template, values) %}
  {%- if template not in bqml_tools -%}
    {{- exceptions.raise_compiler_error("bqml_tools: the toolkit's SQL templates are missing (macro " ~ template ~ "): dbt/templates links to the repository's sql_templates/, which a git install with subdirectory: dbt leaves out; install the package with local: pointing at the dbt/ folder of a full checkout") -}}
  {%- endif -%}
  {%- set sql = bqml_tools.dialect_dispatcher() -%}
  {%- set names = {} -%}
  {%- do names.update(bqml_tools) -%}
  {%- do names.update({'sql': sql, 'dispatch': sql.get, 'k': bqml_tools, 'c': bqml_tools, 'b': bqml_tools, 'm': bqml_tools, 'hashing': bqml_tools, 'inline': true, 'binder': none,
                       'number_literal': bqml_tools.number_literal, 'raise_error': bqml_tools.raise_error}) -%}
  {%- do names.update(values) -%}
  {%- set saved, absent = {}, [] -%}
  {%- for name in names -%}
    {%- if name in context -%}{%- do saved.update({name: context[name]}) -%}{%- else -%}{%- do absent.append(name) -%}{%- endif -%}
  {%- endfor -%}
  {%- do context.update(names) -%}
  {%- set out = bqml_tools[template]() -%}
  {%- do context.update(saved) -%}
  {%- for name in absent -%}{%- do context.pop(name) -%}{%- endfor -%}
  {#- render.py trims the lines a block tag leaves empty (trim_blocks, lstrip_blocks), dbt does not: drop
      every blank line (no value the templates write spans lines: names, salts and messages are one line) -#}
  {%- set lines = [] -%}
  {%- for line in out.split('\n') if line.strip() -%}{%- do lines.append(line.rstrip()) -%}{%- endfor -%}
  {{- return(lines | join('\n') ~ '\n') -}}
{% endmacro %}

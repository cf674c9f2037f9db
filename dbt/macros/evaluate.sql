{#-
  evaluate.sql: bqml_tools.evaluate, the toolkit's metrics statement as a dbt model.

  It renders the template the CLI prints with `bqml-tools evaluate ... --dialect bigquery|duckdb`
  (sql_templates/evaluate/<task>.sql) with the values bqml_tools/evaluation/context.py template_context
  gives it, computed here in Jinja, after the checks the library makes first: EvalSpec's argument checks
  (evaluation/spec.py), check_types (evaluation/checks.py) on the source's columns, and the refusal of a
  group column named like an output column (evaluation/outputs.py). Messages are the library's, in its
  Python voice (the macro's arguments are named as in Python), each one line.
  Ported: what the statement needs without the library's options that the macro does not take (no ci,
  threshold, auc, zero_division, invalid: the defaults, as the CLI prints the statement without them).
  Tasks available: regression, binary (with score), multiclass.
-#}

{# The columns each task's statement returns after its group columns (evaluation/registry.py
   statement_columns; tests/test_dbt_package.py checks them against it). #}
{% macro statement_columns(task, weight, probs=none) %}
  {%- set columns = {
      'regression': ['rows', 'mae', 'mse', 'rmse', 'r2', 'explained_variance', 'mean_squared_log_error',
                     'median_absolute_error', 'mean_label', 'mean_prediction', 'baseline_rmse', 'negative_rows',
                     'invalid_rows'],
      'binary': ['rows', 'positives', 'tp', 'fp', 'tn', 'fn', 'accuracy', 'precision', 'recall', 'specificity', 'f1',
                 'balanced_accuracy', 'log_loss', 'brier', 'roc_auc', 'roc_auc_error_bound', 'average_precision',
                 'base_rate', 'baseline_log_loss', 'invalid_label_rows', 'invalid_score_rows'],
      'multiclass': ['rows', 'accuracy', 'macro_precision', 'macro_recall', 'macro_f1', 'weighted_precision',
                     'weighted_recall', 'weighted_f1', 'micro_precision', 'micro_recall', 'micro_f1']
                    + (['log_loss', 'top_k_accuracy', 'roc_auc'] if probs else []) + ['baseline_accuracy', 'invalid_rows']}[task] -%}
  {{- return(columns + (['invalid_weight_rows'] if weight else [])) -}}
{% endmacro %}

{# EvalSpec's checks of the macro's arguments (evaluation/spec.py), in its words. #}
{% macro check_evaluate_arguments(task, label, score, prediction, probs, positive, by, weight, what='evaluate') %}
  {%- if task not in ['regression', 'binary', 'multiclass'] -%}
    {{- exceptions.raise_compiler_error("task " ~ (task | string | tojson) ~ " is not one of: regression, binary, multiclass") -}}
  {%- endif -%}
  {%- do bqml_tools.check_column(label, 'label column') -%}
  {%- set needed = 'score' if task == 'binary' else 'prediction' -%}
  {%- set given = {'prediction': prediction, 'score': score, 'probs': probs, 'positive': positive} -%}
  {%- if task == 'binary' and probs is not none -%}
    {{- exceptions.raise_compiler_error("probs '" ~ probs ~ "': binary from ML.PREDICT's probabilities array is not available in the dbt package yet: pass score= with the positive class's probability (a column of an upstream model)") -}}
  {%- endif -%}
  {%- if given[needed] is none -%}
    {{- exceptions.raise_compiler_error('task ' ~ task ~ ' needs ' ~ needed ~ '=...' ~ (" (the positive class's probability)" if task == 'binary' else '')) -}}
  {%- endif -%}
  {%- set used = {'regression': ['prediction'], 'binary': ['score', 'positive'], 'multiclass': ['prediction', 'probs']}[task] -%}
  {%- set unused = [] -%}
  {%- for option in ['prediction', 'score', 'probs', 'positive'] if given[option] is not none and option not in used -%}
    {%- do unused.append(option) -%}
  {%- endfor -%}
  {%- if unused -%}
    {%- set one = unused | length == 1 -%}
    {{- exceptions.raise_compiler_error(unused | join(', ') ~ (' does' if one else ' do') ~ ' nothing for task ' ~ task ~ ': leave ' ~ ('it' if one else 'them') ~ ' out') -}}
  {%- endif -%}
  {%- for role in ['prediction', 'score', 'probs'] if given[role] is not none -%}
    {%- do bqml_tools.check_column(given[role], role ~ ' column') -%}
  {%- endfor -%}
  {%- for column in by -%}{%- do bqml_tools.check_column(column, 'group (by) column') -%}{%- endfor -%}
  {%- if weight is not none -%}{%- do bqml_tools.check_column(weight, 'weight column') -%}{%- endif -%}
  {%- set named = [('label', label), ('prediction', prediction), ('score', score), ('probs', probs)] -%}
  {%- for column in by -%}{%- do named.append(('by', column)) -%}{%- endfor -%}
  {%- do named.append(('weight', weight)) -%}
  {%- for option, name in named if name is not none and name.lower().startswith('_bqml_') -%}
    {%- set other = name[6:] or 'column' -%}
    {{- exceptions.raise_compiler_error(option ~ " '" ~ name ~ "': names starting with '_bqml_' are reserved for bqml_tools' working columns; no source column may have such a name either: rename it in a model (SELECT " ~ name ~ " AS " ~ other ~ ", ...) and pass " ~ option ~ "='" ~ other ~ "'") -}}
  {%- endfor -%}
  {%- set lowered = [] -%}
  {%- for column in by -%}
    {%- if column.lower() in lowered -%}
      {{- exceptions.raise_compiler_error('by columns repeat (names are case-insensitive): ' ~ by | join(', ')) -}}
    {%- endif -%}
    {%- do lowered.append(column.lower()) -%}
  {%- endfor -%}
  {%- if positive is string and not positive.isprintable() -%}
    {{- exceptions.raise_compiler_error('positive label ' ~ (positive | tojson) ~ ' must be printable text') -}}
  {%- endif -%}
  {%- if positive is not none and not (positive is string or positive is number) or (positive is float and positive * 0 != 0) -%}
    {{- exceptions.raise_compiler_error('positive label ' ~ positive ~ ' must be a finite number, text or a boolean') -}}
  {%- endif -%}
  {#- outputs.py refuse_output_names: a group column named like an output column -#}
  {%- if what == 'evaluate' -%}
    {%- set outputs = bqml_tools.statement_columns(task, weight is not none, probs) -%}
  {%- elif what == 'threshold' -%}
    {%- set outputs = bqml_tools.threshold_columns(weight is not none) -%}
  {%- else -%}
    {%- set outputs = bqml_tools.curve_columns(what, weight is not none) -%}
  {%- endif -%}
  {%- for column in by if column.lower() in outputs -%}
    {{- exceptions.raise_compiler_error("group column '" ~ column ~ "' has the name of a column " ~ what ~ " returns; rename it in a model first (SELECT *, " ~ column ~ " AS " ~ column ~ "_group FROM ...) and group by the new name") -}}
  {%- endfor -%}
{% endmacro %}

{# checks.py check_types: the source's columns and their types (schema: name -> type). #}
{% macro check_evaluate_types(task, label, prediction, score, probs, by, weight, schema, src) %}
  {%- for name in schema if name.lower().startswith('_bqml_') -%}
    {{- exceptions.raise_compiler_error("the source " ~ src.parts | join('.') ~ " has a column '" ~ name ~ "': names starting with '_bqml_' are reserved for bqml_tools' working columns; rename it in a model first (e.g. SELECT " ~ name ~ " AS " ~ (name[6:] or 'column') ~ ", ...)") -}}
  {%- endfor -%}
  {%- set columns = [label] + ([prediction] if prediction is not none else []) + ([score] if score is not none else []) + ([probs] if probs is not none else []) + by + ([weight] if weight is not none else []) -%}
  {%- for column in columns if column not in schema -%}
    {{- exceptions.raise_compiler_error("column '" ~ column ~ "' is not in the source; it has: " ~ (schema.keys() | join(', ') or '(no columns)')) -}}
  {%- endfor -%}
  {%- if weight is not none and bqml_tools.value_kind(schema[weight]) != 'number' -%}
    {{- exceptions.raise_compiler_error("weight column '" ~ weight ~ "' is " ~ schema[weight] ~ ": it must hold numbers >= 0") -}}
  {%- endif -%}
  {%- if task == 'regression' -%}
    {%- for column in [label, prediction] if bqml_tools.value_kind(schema[column]) != 'number' -%}
      {{- exceptions.raise_compiler_error("regression needs numeric columns: '" ~ column ~ "' is " ~ schema[column]) -}}
    {%- endfor -%}
  {%- endif -%}
  {%- if task == 'binary' and bqml_tools.value_kind(schema[score]) != 'number' -%}
    {{- exceptions.raise_compiler_error("score column '" ~ score ~ "' is " ~ schema[score] ~ ": it must hold probabilities in [0, 1]") -}}
  {%- endif -%}
  {%- if task == 'multiclass' -%}
    {%- set kinds = [bqml_tools.value_kind(schema[label]), bqml_tools.value_kind(schema[prediction])] -%}
    {%- if kinds[0] != kinds[1] -%}
      {{- exceptions.raise_compiler_error("label '" ~ label ~ "' is " ~ schema[label] ~ " but prediction '" ~ prediction ~ "' is " ~ schema[prediction] ~ ": cast one so both hold the same kind of class value") -}}
    {%- endif -%}
    {%- if probs is not none and not modules.re.search('STRUCT.*prob', schema[probs], modules.re.I + modules.re.S) -%}
      {{- exceptions.raise_compiler_error("probabilities column '" ~ probs ~ "' is " ~ schema[probs] ~ ": it must be an ARRAY<STRUCT<label, prob>> like ML.PREDICT's predicted_<label>_probs") -}}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}

{# checks.py value_kind: the kind of values a column of `sql_type` holds (string, bool, number, or the type). #}
{% macro value_kind(sql_type) %}
  {%- set re = modules.re -%}
  {%- if re.match('^(VARCHAR|STRING|TEXT)\\b', sql_type, re.I) -%}{{ return('string') }}{%- endif -%}
  {%- if re.fullmatch('BOOL(EAN)?', sql_type, re.I) -%}{{ return('bool') }}{%- endif -%}
  {%- if re.match('^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT64|FLOAT|FLOAT64|DOUBLE|REAL|NUMERIC|BIGNUMERIC|DECIMAL|BIGDECIMAL)\\b', sql_type, re.I) -%}{{ return('number') }}{%- endif -%}
  {{- return(sql_type) -}}
{% endmacro %}

{# checks.py label_mode: how the binary template reads the label (label_type: its type, or none unread). #}
{% macro binary_label_mode(label, positive, label_type) %}
  {%- set re = modules.re -%}
  {%- if positive is not none -%}
    {%- set value = positive -%}
    {%- if label_type is not none and bqml_tools.value_kind(label_type) == 'bool' and positive is string -%}
      {#- a BOOL label: true or false -#}
      {%- if positive.strip().lower() not in ['true', 'false'] -%}
        {{- exceptions.raise_compiler_error("positive '" ~ positive ~ "': the label '" ~ label ~ "' is " ~ label_type ~ "; write true or false") -}}
      {%- endif -%}
      {{- return({'label_mode': 'positive', 'positive': positive.strip().lower() == 'true', 'label_numeric': false}) -}}
    {%- endif -%}
    {%- if label_type is not none and bqml_tools.value_kind(label_type) != 'string' and positive is string -%}
      {%- if re.fullmatch('-?[0-9]+', positive) -%}
        {%- set value = positive | int -%}
      {%- elif re.fullmatch('\\s*[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*', positive) -%}
        {%- set value = positive | float -%}
      {%- elif re.fullmatch('\\s*[+-]?(inf|infinity|nan)\\s*', positive, re.I) -%}
        {{- exceptions.raise_compiler_error("positive '" ~ positive ~ "' must be a finite value of the label '" ~ label ~ "'") -}}
      {%- else -%}
        {{- exceptions.raise_compiler_error("positive '" ~ positive ~ "' is not a value of the " ~ label_type ~ " label '" ~ label ~ "'") -}}
      {%- endif -%}
    {%- elif label_type is none and positive is string and re.fullmatch('-?[0-9]+', positive) -%}
      {%- set value = positive | int -%}
    {%- endif -%}
    {%- if label_type is not none -%}
      {%- set label_numeric = bqml_tools.value_kind(label_type) == 'number' -%}
    {%- else -%}
      {%- set label_numeric = (value is number and value is not boolean) -%}
    {%- endif -%}
    {{- return({'label_mode': 'positive', 'positive': value, 'label_numeric': label_numeric}) -}}
  {%- endif -%}
  {%- if label_type is not none and bqml_tools.value_kind(label_type) == 'bool' -%}
    {{- return({'label_mode': 'bool', 'positive': none, 'label_numeric': false}) -}}
  {%- endif -%}
  {%- if label_type is not none and bqml_tools.value_kind(label_type) != 'number' -%}
    {{- exceptions.raise_compiler_error("label '" ~ label ~ "' is " ~ label_type ~ ": pass positive=... to name the positive class") -}}
  {%- endif -%}
  {{- return({'label_mode': 'binary', 'positive': none, 'label_numeric': true}) -}}
{% endmacro %}

{# context.py _header: the comment lines above the statement, word for word. #}
{% macro evaluate_header(src, task, label, prediction, score, by, weight, what='evaluate') %}
  {%- set lines = ['bqml_tools ' ~ what ~ ' of ' ~ src.parts | join('.') ~ ': task ' ~ task ~ ', label ' ~ label
                   ~ (', score ' ~ score if task == 'binary' else '') ~ (' (positive when >= 0.5)' if task == 'binary' and what == 'evaluate' else '')
                   ~ (', prediction ' ~ prediction if prediction else '')] -%}
  {%- if by -%}{%- do lines.append('one row per ' ~ by | join(', ') ~ '; one scan of the table') -%}{%- endif -%}
  {%- if weight is not none -%}
    {%- do lines.append('rows weighted by ' ~ weight ~ " (scikit-learn's sample_weight); rows stays a count of rows") -%}
  {%- endif -%}
  {%- if task == 'binary' and what == 'evaluate' -%}{%- do lines.append('AUC: exact (ties count half)') -%}{%- endif -%}
  {%- if what == 'curve' -%}
    {%- do lines.append('AUC: scores binned on the logit scale (10000 bins per unit); roc_auc_error_bound bounds the error') -%}
  {%- endif -%}
  {{- return(lines) -}}
{% endmacro %}

{# context.py template_context for `evaluate` (no intervals, no compare), after the checks. #}
{% macro evaluate_values(relation, task, label, score, prediction, probs, positive, by, weight, what='evaluate') %}
  {%- set by = [by] if by is string else (by or []) -%}
  {%- do bqml_tools.check_evaluate_arguments(task, label, score, prediction, probs, positive, by, weight, what) -%}
  {%- set src = bqml_tools.source_of(relation) -%}
  {%- set schema = bqml_tools.schema_of(relation) -%}
  {%- if schema is not none -%}{%- do bqml_tools.check_evaluate_types(task, label, prediction, score, probs, by, weight, schema, src) -%}{%- endif -%}
  {%- set group_list = [] -%}
  {%- for column in by -%}{%- do group_list.append('_bqml_g' ~ loop.index0) -%}{%- endfor -%}
  {%- set values = {} -%}
  {%- if task == 'multiclass' and schema is not none -%}
    {%- do values.update({'class_numeric': bqml_tools.value_kind(schema[label]) == 'number'}) -%}
  {%- endif -%}
  {%- if task == 'binary' -%}
    {%- do values.update(bqml_tools.binary_label_mode(label, positive, schema[label] if schema is not none else none)) -%}
  {%- endif -%}
  {%- do values.update({'src': src, 'by': by, 'label': label, 'prediction': prediction, 'score': score, 'probs': probs,
              'top_k': 3, 'threshold': 0.5, 'mode': 'exact' if what == 'evaluate' else 'binned', 'bins_per_logit': 10000, 'clip': 2.220446049250313e-16,
              'zero_division': 'null', 'guard': true, 'class_numeric': values.get('class_numeric', false),
              'header_lines': bqml_tools.evaluate_header(src, task, label, prediction, score, by, weight, what.split(' ')[0]),
              'pseudo': [], 'group_list': group_list, 'against': none, 'weight': weight, 'weight_scale': none,
              'ci': none}) -%}
  {{- return(values) -}}
{% endmacro %}

{#- bqml_tools.evaluate: one row of metrics per group of `by` (a column or a list; none: one row), from one scan
    of `relation`: the CLI's bqml-tools evaluate ... --dialect bigquery|duckdb. A row with a NULL, NaN or
    infinite label or prediction (or weight) makes the model's query fail, naming the count, as the CLI's
    printed statement does; filter such rows upstream. `weight`: scikit-learn's sample_weight. -#}
{% macro evaluate(relation, task, label, score=none, prediction=none, probs=none, positive=none, by=[], weight=none) %}
  {%- set values = bqml_tools.evaluate_values(relation, task, label, score, prediction, probs, positive, by, weight) -%}
  {{- return(bqml_tools.render_template(task ~ '_template', values)) -}}
{% endmacro %}

{# The columns curve `kind` returns after its group columns (evaluation/registry.py CURVES, with --weight
   invalid_weight_rows after invalid_score_rows; tests/test_dbt_package.py checks them against it). #}
{% macro curve_columns(what, weight) %}
  {%- set rates = ['fpr', 'tpr'] if what == 'curve roc' else ['precision', 'recall'] -%}
  {{- return(['threshold'] + rates + ['tp', 'fp', 'invalid_label_rows', 'invalid_score_rows']
             + (['invalid_weight_rows'] if weight else []) + ['positives', 'group_rows']) -}}
{% endmacro %}

{#- bqml_tools.curve: the ROC (kind='roc': threshold, fpr, tpr, tp, fp) or precision-recall (kind='pr':
    threshold, precision, recall, tp, fp) curve of a binary score per group of `by`, one point per logit bin
    of the scores (10,000 bins per unit: each point an exact point of the curve), with each group's counts
    on every row: the CLI's bqml-tools curve ... --kind roc|pr --dialect bigquery|duckdb. -#}
{% macro curve(relation, label, score, kind='roc', positive=none, by=[], weight=none) %}
  {%- if kind not in ['roc', 'pr'] -%}
    {{- exceptions.raise_compiler_error("curve " ~ (kind | string | tojson) ~ " is not one of: roc, pr (the thresholds and calibration curves are the CLI's only for now)") -}}
  {%- endif -%}
  {%- set values = bqml_tools.evaluate_values(relation, 'binary', label, score, none, none, positive, by, weight, 'curve ' ~ kind) -%}
  {%- do values.update({'kind': kind, 'steps': 100, 'bins': 10}) -%}
  {{- return(bqml_tools.render_template('curve_template', values)) -}}
{% endmacro %}

{# decisions.py parse_target: 'recall>=0.95', 'precision>=90%' or 'f1' -> [objective, target or none]. #}
{% macro parse_goal(text) %}
  {%- set re = modules.re -%}
  {%- set match = re.match('^\\s*(recall|precision)\\s*>=\\s*(\\S+)\\s*$|^\\s*(f1)\\s*$', text if text is string else '', re.I) -%}
  {%- if not match -%}
    {{- exceptions.raise_compiler_error("goal " ~ (text | string | tojson) ~ ": write recall>=X, precision>=X (X in (0, 1]) or f1 (a cost goal, fp=A,fn=B, is the CLI's only for now)") -}}
  {%- endif -%}
  {%- if match.group(3) -%}{{ return(['f1', none]) }}{%- endif -%}
  {%- set objective = match.group(1).lower() -%}
  {%- set raw = match.group(2).strip() -%}
  {%- set number = raw[:-1].strip() if raw.endswith('%') else raw -%}
  {%- set ratio = re.fullmatch('[+-]?[0-9]+\\s*/\\s*[+-]?0+', number) -%}
  {%- if bqml_tools._bounded(number) is not true or ratio -%}
    {{- exceptions.raise_compiler_error("goal " ~ objective ~ ">= '" ~ match.group(2) ~ "' is not a number: write e.g. 0.95, 19/20 or 95%") -}}
  {%- endif -%}
  {%- set fraction = bqml_tools.parse_fraction(raw, 'goal ' ~ objective ~ '>=') -%}
  {%- set value = fraction[0] / fraction[1] -%}
  {%- if not (value > 0 and value <= 1) -%}
    {{- exceptions.raise_compiler_error("goal '" ~ text.strip() ~ "': X must be a number in (0, 1], e.g. " ~ objective ~ ">=0.95") -}}
  {%- endif -%}
  {{- return([objective, value]) -}}
{% endmacro %}

{#- bqml_tools.threshold: the decision threshold of a binary score for `goal` per group of `by` ('recall>=0.95':
    the highest threshold with recall at least 0.95; 'precision>=0.9': the lowest with precision at least 0.9;
    'f1': the best F1), with every binary metric at it, from logit-bin candidates (10,000 per unit): the CLI's
    bqml-tools threshold ... --target GOAL --dialect bigquery|duckdb. -#}
{% macro threshold(relation, label, score, goal, positive=none, by=[], weight=none) %}
  {%- set objective, target = bqml_tools.parse_goal(goal) -%}
  {%- set values = bqml_tools.evaluate_values(relation, 'binary', label, score, none, none, positive, by, weight, 'threshold') -%}
  {%- set shown = 'best f1' if objective == 'f1' else objective ~ '>=' ~ ('%g' | format(target)) -%}
  {%- do values.update({'objective': objective, 'target': target, 'cost_order': 'weighed', 'fp_weight': none,
                        'fn_weight': none, 'fp_cost': none, 'fn_cost': none,
                        'header_lines': values.header_lines + ['goal: ' ~ shown ~ '; candidates: the lowest score of each logit bin (10000 per unit)']}) -%}
  {{- return(bqml_tools.render_template('threshold_template', values)) -}}
{% endmacro %}

{# The columns threshold returns after its group columns (evaluation/registry.py THRESHOLD, with --weight
   invalid_weight_rows last; tests/test_dbt_evaluate.py checks them against it). #}
{% macro threshold_columns(weight) %}
  {{- return(['threshold', 'threshold_upper', 'bin_rows', 'rows', 'positives', 'tp', 'fp', 'tn', 'fn', 'accuracy',
             'precision', 'recall', 'specificity', 'f1', 'balanced_accuracy', 'baseline_accuracy', 'cost', 'target_met',
             'best_reachable', 'bound', 'invalid_label_rows', 'invalid_score_rows']
             + (['invalid_weight_rows'] if weight else [])) -}}
{% endmacro %}

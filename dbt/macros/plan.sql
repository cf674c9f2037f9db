{#-
  plan.sql: fractions and a sample rate -> the bucket plan split.sql reads, in Jinja.

  A port of bqml_tools/core/plan.py (parse_fraction, parse_fractions, parse_rate, plan_buckets) with the
  same exact arithmetic: every number is a fraction [numerator, denominator] of Python integers, so the
  plan (buckets, upper bounds, sample threshold) is the one the CLI computes, never a float's rounding.
  tests/test_dbt_plan.py checks with hypothesis that both give the same plan, or both refuse, for any
  fractions and rate. Only what the split macros need is ported: no `buckets` argument (the smallest
  exact count is used, as the CLI does without --buckets).
  Messages name the macro arguments (fractions=, sample=); each raises a dbt compilation error.
-#}

{% macro _gcd(a, b) %}
  {%- set ns = namespace(a=(a if a >= 0 else -a), b=(b if b >= 0 else -b)) -%}
  {#- Euclid: at most ~5 steps per decimal digit; inputs have at most ~90 digits here -#}
  {%- for _ in range(600) -%}
    {%- if ns.b == 0 -%}{%- break -%}{%- endif -%}
    {%- set r = ns.a % ns.b -%}
    {%- set ns.a = ns.b -%}
    {%- set ns.b = r -%}
  {%- endfor -%}
  {{- return(ns.a) -}}
{% endmacro %}

{# [n, d] in lowest terms with d > 0. #}
{% macro _fraction(n, d) %}
  {%- set g = bqml_tools._gcd(n, d) -%}
  {%- set sign = -1 if d < 0 else 1 -%}
  {{- return([sign * (n // g), sign * (d // g)]) -}}
{% endmacro %}

{% macro _add(x, y) %}{{ return(bqml_tools._fraction(x[0] * y[1] + y[0] * x[1], x[1] * y[1])) }}{% endmacro %}

{# |x - y| <= |u - v| for fractions. #}
{% macro _closer_or_equal(x, y, u, v) %}
  {%- set left = x[0] * y[1] - y[0] * x[1] -%}
  {%- set right = u[0] * v[1] - v[0] * u[1] -%}
  {{- return((left if left >= 0 else -left) * u[1] * v[1] <= (right if right >= 0 else -right) * x[1] * y[1]) -}}
{% endmacro %}

{# Fraction.limit_denominator (CPython 3.11): the closest fraction with a denominator up to max_den. #}
{% macro _limit_denominator(x, max_den) %}
  {%- if x[1] <= max_den -%}{{ return(x) }}{%- endif -%}
  {%- set ns = namespace(p0=0, q0=1, p1=1, q1=0, n=x[0], d=x[1], done=false) -%}
  {#- the denominators grow at least as fast as Fibonacci numbers: past 10,000 within 25 steps -#}
  {%- for _ in range(200) -%}
    {%- if ns.done -%}{%- break -%}{%- endif -%}
    {%- set a = ns.n // ns.d -%}
    {%- set q2 = ns.q0 + a * ns.q1 -%}
    {%- if q2 > max_den -%}
      {%- set ns.done = true -%}
    {%- else -%}
      {%- set p0, q0, p1, q1 = ns.p1, ns.q1, ns.p0 + a * ns.p1, q2 -%}
      {%- set ns.p0 = p0 -%}{%- set ns.q0 = q0 -%}{%- set ns.p1 = p1 -%}{%- set ns.q1 = q1 -%}
      {%- set n, d = ns.d, ns.n - a * ns.d -%}
      {%- set ns.n = n -%}{%- set ns.d = d -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set k = (max_den - ns.q0) // ns.q1 -%}
  {%- set bound1 = bqml_tools._fraction(ns.p0 + k * ns.p1, ns.q0 + k * ns.q1) -%}
  {%- set bound2 = bqml_tools._fraction(ns.p1, ns.q1) -%}
  {{- return(bound2 if bqml_tools._closer_or_equal(bound2, x, bound1, x) else bound1) -}}
{% endmacro %}

{# str(Fraction): "7/10", or "1" for a whole number. #}
{% macro fraction_text(x) %}{{ return(x[0] | string if x[1] == 1 else x[0] ~ '/' ~ x[1]) }}{% endmacro %}

{# Whether a number's text is small enough to read exactly (plan.py's _bounded); none: not a number. #}
{% macro _bounded(raw) %}
  {%- set re = modules.re -%}
  {%- set ratio = re.fullmatch('(?P<num>[+-]?[0-9]+)\\s*/\\s*(?P<den>[+-]?[0-9]+)', raw) -%}
  {%- if ratio -%}
    {{- return((ratio.group('num').lstrip('+-').lstrip('0') | length) <= 30 and (ratio.group('den').lstrip('+-').lstrip('0') | length) <= 30) -}}
  {%- endif -%}
  {%- set number = re.fullmatch('[+-]?(?P<whole>[0-9]*)(?:\\.(?P<part>[0-9]*))?(?:[eE](?P<exp>[+-]?[0-9]+))?', raw) -%}
  {%- if number is none or not (number.group('whole') or number.group('part')) -%}{{ return(none) }}{%- endif -%}
  {%- set digits = ((number.group('whole') or '') ~ (number.group('part') or '')).strip('0') -%}
  {%- set exponent = number.group('exp') -%}
  {%- if exponent is not none and ((exponent.lstrip('+-').lstrip('0') | length) > 2 or (exponent | int | abs) > 30) -%}
    {{- return(false) -}}
  {%- endif -%}
  {{- return((digits | length) <= 30) -}}
{% endmacro %}

{# '0.8', '4/5', '80%' or a number -> [n, d], snapped to a denominator up to 10,000 when within 1e-9 of it. #}
{% macro parse_fraction(text, what) %}
  {%- set re = modules.re -%}
  {%- set fix = what ~ " '" ~ (text | string) ~ "' is not a number: write it like 0.8, 4/5 or 80%" -%}
  {%- if text is boolean or text is none or text is mapping or (text is iterable and text is not string) -%}
    {{- exceptions.raise_compiler_error(fix) -}}
  {%- endif -%}
  {%- set raw = (text | string).strip() -%}
  {%- set percent = raw.endswith('%') -%}
  {%- set number = raw[:-1].strip() if percent else raw -%}
  {%- set bounded = bqml_tools._bounded(number) -%}
  {%- if bounded is none -%}{{ exceptions.raise_compiler_error(fix) }}{%- endif -%}
  {%- if not bounded -%}
    {{- exceptions.raise_compiler_error(what ~ ' ' ~ (text | string) ~ ' has more precision than bqml_tools accepts (at most 30 significant digits, exponents within +-30): write it like 0.8, 4/5 or 80%') -}}
  {%- endif -%}
  {%- set ratio = re.fullmatch('(?P<num>[+-]?[0-9]+)\\s*/\\s*(?P<den>[+-]?[0-9]+)', number) -%}
  {%- if ratio -%}
    {%- set den = ratio.group('den') | int -%}
    {%- if den == 0 -%}{{ exceptions.raise_compiler_error(fix) }}{%- endif -%}
    {%- set value = bqml_tools._fraction(ratio.group('num') | int, den) -%}
  {%- else -%}
    {%- set m = re.fullmatch('(?P<sign>[+-]?)(?P<whole>[0-9]*)(?:\\.(?P<part>[0-9]*))?(?:[eE](?P<exp>[+-]?[0-9]+))?', number) -%}
    {%- set part = m.group('part') or '' -%}
    {%- set n = ((m.group('whole') or '') ~ part).lstrip('0') or '0' -%}
    {%- set n = (-1 if m.group('sign') == '-' else 1) * (n | int) -%}
    {%- set d = 10 ** (part | length) -%}
    {%- set e = (m.group('exp') or '0') | int -%}
    {%- set value = bqml_tools._fraction(n * 10 ** e, d) if e >= 0 else bqml_tools._fraction(n, d * 10 ** (-e)) -%}
  {%- endif -%}
  {%- if percent -%}{%- set value = bqml_tools._fraction(value[0], value[1] * 100) -%}{%- endif -%}
  {%- set snapped = bqml_tools._limit_denominator(value, 10000) -%}
  {#- |snapped - value| <= 1/10^9, in integers -#}
  {%- set gap = snapped[0] * value[1] - value[0] * snapped[1] -%}
  {{- return(snapped if (gap if gap >= 0 else -gap) * 10 ** 9 <= snapped[1] * value[1] else value) -}}
{% endmacro %}

{# 'train=0.8,valid=0.1,test=0.1' (or a mapping) -> [[name, [n, d]], ...] in order, summing to 1. #}
{% macro parse_fractions(spec) %}
  {%- set items = [] -%}
  {%- if spec is mapping -%}
    {%- for name, value in spec.items() -%}{%- do items.append([name | string, value]) -%}{%- endfor -%}
  {%- elif spec is string -%}
    {%- for part in spec.split(',') -%}
      {%- set name, sep, value = part.partition('=') -%}
      {%- if not sep -%}
        {{- exceptions.raise_compiler_error("fractions '" ~ spec ~ "': '" ~ part.strip() ~ "' has no '=': write name=fraction pairs like train=0.8,valid=0.1,test=0.1") -}}
      {%- endif -%}
      {%- do items.append([name.strip(), value.strip()]) -%}
    {%- endfor -%}
  {%- else -%}
    {{- exceptions.raise_compiler_error("fractions " ~ (spec | string) ~ " must be text like 'train=0.8,valid=0.1,test=0.1' or a mapping of name -> fraction") -}}
  {%- endif -%}
  {%- set out = [] -%}
  {%- set names = [] -%}
  {%- set total = namespace(value=[0, 1]) -%}
  {%- for name, value in items -%}
    {%- if not modules.re.fullmatch('[A-Za-z][A-Za-z0-9_]{0,63}', name) -%}
      {{- exceptions.raise_compiler_error("split name '" ~ name ~ "' is not allowed: use letters, digits and underscores, starting with a letter (e.g. train, valid, test)") -}}
    {%- endif -%}
    {%- if name in names -%}{{ exceptions.raise_compiler_error("split name '" ~ name ~ "' appears twice in the fractions") }}{%- endif -%}
    {%- set fraction = bqml_tools.parse_fraction(value, "fraction for '" ~ name ~ "'") -%}
    {%- if fraction[0] <= 0 -%}
      {{- exceptions.raise_compiler_error("fraction for '" ~ name ~ "' is " ~ value ~ ": every fraction must be positive") -}}
    {%- endif -%}
    {%- do names.append(name) -%}
    {%- do out.append([name, fraction]) -%}
    {%- set total.value = bqml_tools._add(total.value, fraction) -%}
  {%- endfor -%}
  {%- if not out -%}{{ exceptions.raise_compiler_error("no fractions given: write e.g. train=0.8,valid=0.1,test=0.1") }}{%- endif -%}
  {%- set gap = total.value[0] - total.value[1] -%}
  {%- if (gap if gap >= 0 else -gap) * 10 ** 9 > total.value[1] -%}
    {{- exceptions.raise_compiler_error("fractions add up to " ~ (total.value[0] / total.value[1]) ~ ", not 1: adjust them so they sum to 1") -}}
  {%- endif -%}
  {{- return(out) -}}
{% endmacro %}

{# The sample rate in (0, 1] as [n, d]; none means no sampling. #}
{% macro parse_rate(sample) %}
  {%- if sample is none -%}{{ return([1, 1]) }}{%- endif -%}
  {%- if sample is string and not sample.strip() -%}
    {{- exceptions.raise_compiler_error("sample rate is empty: write it like 1/70 or 0.01, or leave sample out") -}}
  {%- endif -%}
  {%- set rate = bqml_tools.parse_fraction(sample, 'sample rate') -%}
  {%- if not (rate[0] > 0 and rate[0] <= rate[1]) -%}
    {{- exceptions.raise_compiler_error("sample rate " ~ sample ~ " must be in (0, 1]: e.g. 1/70 or 0.01") -}}
  {%- endif -%}
  {%- if rate[0] * 1000000 < rate[1] -%}
    {{- exceptions.raise_compiler_error("sample rate " ~ sample ~ " is below the smallest rate bqml_tools samples exactly, 1/1,000,000 (1e-06): sample at least 1/1,000,000") -}}
  {%- endif -%}
  {{- return(rate) -}}
{% endmacro %}

{# plan_buckets(fractions, sample): the BucketPlan as a mapping (names, fractions, sample, buckets, upper,
   lower, threshold, slots, sampled), what split.sql reads as `plan`. #}
{% macro plan_buckets(fractions, sample=none) %}
  {%- set parsed = bqml_tools.parse_fractions(fractions) -%}
  {%- set rate = bqml_tools.parse_rate(sample) -%}
  {%- set names, values, bounds = [], [], [] -%}
  {%- set cumulative = namespace(value=[0, 1], lcm=1) -%}
  {%- for name, fraction in parsed -%}
    {%- do names.append(name) -%}
    {%- do values.append(fraction) -%}
    {%- set cumulative.value = bqml_tools._add(cumulative.value, fraction) if not loop.last else [1, 1] -%}
    {%- do bounds.append(cumulative.value) -%}
    {%- set den = cumulative.value[1] -%}
    {%- set cumulative.lcm = cumulative.lcm * den // bqml_tools._gcd(cumulative.lcm, den) -%}
  {%- endfor -%}
  {%- set count = cumulative.lcm -%}
  {%- if count > 1000000 -%}
    {{- exceptions.raise_compiler_error("these fractions need " ~ '{:,}'.format(count) ~ " buckets to be exact (at most 1,000,000): round them (e.g. to 4 decimals)") -}}
  {%- endif -%}
  {%- set upper = [] -%}
  {%- for bound in bounds -%}{%- do upper.append(bound[0] * count // bound[1]) -%}{%- endfor -%}
  {%- set slots = 1000000 -%}
  {%- set threshold = (rate[0] * slots + rate[1] - 1) // rate[1] -%}
  {{- return({'names': names, 'fractions': values, 'sample': rate, 'buckets': count, 'upper': upper,
              'lower': [0] + upper[:-1], 'threshold': threshold, 'slots': slots, 'sampled': threshold < slots}) -}}
{% endmacro %}

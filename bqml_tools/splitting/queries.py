"""Repeatable FARM_FINGERPRINT sampling and splitting, identical on DuckDB and BigQuery."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

import pandas as pd

from ..core import identifiers
from ..core.keys import KeyColumn, kind_of, salt_component
from ..core.options import refusal
from ..core.plan import BucketPlan
from ..engines.base import CanExecute, Engine, not_an_engine, require
from ..engines.schema import source_schema
from ..errors import BqmlToolsError, InvalidSplitSpec, NullKeys, UnknownColumn, UnsupportedKeyType
from ..sql.render import Query, render
from .spec import SplitSpec
from .table_options import TableOptions

FINE = 10_000  # fine positions per bucket in a stratified split
LUMPY_KEYS_PER_BUCKET = 5
STRATUM_DEVIATION_WARNING = 0.05  # warn when a label's realised fractions are further off than this


def _header(source: identifiers.Source, spec: SplitSpec, plan: BucketPlan, key: list[KeyColumn],
            only_split: str | None, checked: bool) -> list[str]:
    """The comment lines opening a split query: what it does, in the formulas it uses."""
    shares = ", ".join(f"{n} {float(f) * 100:g}%" for n, f in zip(plan.names, plan.fractions))
    sample = f" of a {plan.sample} sample" if plan.sampled else ""
    what = f"only split {only_split} of {shares}{sample}" if only_split else f"{shares}{sample}"
    key_text = ", ".join(f"{c.name} ({c.kind})" if c.kind else c.name for c in key)
    n = plan.buckets
    lines = [
        f"bqml_tools split of {source}: {what}",
        f"key: {key_text}{'; salted' if spec.salt is not None else ''}; h = FARM_FINGERPRINT(key string)",
    ]
    if spec.stratify is None:
        lines.append(f"split  = ABS(MOD(h, {n})): {plan.describe()}")
    else:
        lines += [
            f"stratified by {spec.stratify}: each key's stratum is its majority label (ties: the smallest "
            "label text), so a key's rows stay in one split",
            f"split  = per stratum, keys in the order ABS(MOD(h, {n})) * {FINE} + ABS(MOD(DIV(h, "
            f"{n * plan.slots}), {FINE})) take {shares} of the stratum's rows",
        ]
    if plan.sampled:
        lines.append(
            f"sample = ABS(MOD(DIV(h, {n}), {plan.slots})) < {plan.threshold} keeps {plan.describe_sample()}, "
            "independently of the split: a key's split is the same at every rate"
        )
    policy, null_split = spec.null_policy()
    lines.append({"error": "NULL keys: the query fails (ERROR) rather than drop or misplace them",
                  "drop": "NULL keys: dropped (--null-keys drop)",
                  "split": f"NULL keys: all go to split {null_split}"}[policy])
    if not checked:
        lines.append("key types not checked (no engine): CAST(key AS STRING) is canonical for "
                     "STRING, INT64, BOOL and DATE keys")
    return lines


def _key_columns(spec: SplitSpec, schema: Mapping[str, str] | None, schema_dialect: str,
                 dialect: str, columns: Sequence[str]) -> list[KeyColumn]:
    out = []
    for name in columns:
        if schema is not None:
            if name not in schema:
                raise UnknownColumn(
                    f"column {name!r} is not in the source; it has: {', '.join(schema) or '(no columns)'}"
                )
            stratum = name == spec.stratify and name not in spec.key
            kind = _stratum_kind(name, schema[name], schema_dialect) if stratum else \
                kind_of(schema[name], schema_dialect, name)
            out.append(KeyColumn(name, kind))
        elif name in spec.key_types:
            out.append(KeyColumn(name, kind_of(spec.key_types[name], dialect, name)))
        else:
            out.append(KeyColumn(name, None))
    return out


_FLOAT_TYPE = ("FLOAT", "DOUBLE", "REAL")


def _stratum_kind(name: str, engine_type: str, dialect: str) -> str:
    """The label's kind for --stratify: its text must be the same on both engines, as a key's is."""
    fix = (f"stratify on an INT64, BOOL or STRING label: cast it in a view (SELECT * REPLACE (CAST({name} AS "
           f"INT64) AS {name}) ...)")
    if engine_type.strip().upper().startswith(_FLOAT_TYPE):
        raise UnsupportedKeyType(
            f"stratify column {name!r} is {engine_type}: a float's text differs between BigQuery and DuckDB, so "
            f"the strata would not match; {fix}, after dropping or filling NaN labels if that is why it is a float"
        )
    try:
        return kind_of(engine_type, dialect, name)
    except UnsupportedKeyType:
        raise UnsupportedKeyType(f"stratify column {name!r} has type {engine_type}, which has no text shared by "
                                 f"BigQuery and DuckDB; {fix}") from None


def _checked(source: str | identifiers.Source, spec: SplitSpec, engine: Engine | None = None,
             needs_engine: bool = False) -> identifiers.Source:
    """The parsed source, after checking the arguments' types (API misuse is a BqmlToolsError)."""
    if not isinstance(spec, SplitSpec):
        raise InvalidSplitSpec(f"spec must be a SplitSpec, not {type(spec).__name__}: e.g. SplitSpec(key=['user_id'])")
    if (engine is not None or needs_engine) and not isinstance(engine, Engine):
        raise InvalidSplitSpec(not_an_engine(engine, "splitting"))
    return source if isinstance(source, identifiers.Source) else identifiers.source(source)


def check_only_split(spec: SplitSpec, only_split: str | None) -> None:
    """Refuse a split name ``spec`` does not make; needs no engine, so callers check it before any query."""
    _, null_split = spec.null_policy()
    if only_split is not None and only_split not in spec.plan.names and only_split != null_split:
        raise InvalidSplitSpec(
            f"split {only_split!r} is not one of the splits: {', '.join(spec.plan.names)}"
            + (f", {null_split}" if null_split else "")
        )


def _context(source: str | identifiers.Source, spec: SplitSpec, dialect: str,
             schema: Mapping[str, str] | None, only_split: str | None,
             schema_dialect: str | None = None, adds_split_column: bool = True) -> tuple[str, dict[str, Any]]:
    """Template name and context. ``schema_dialect``: the engine the schema came from;
    ``adds_split_column``: whether the query's rows carry the source's columns plus the split column."""
    schema_dialect = schema_dialect or dialect
    src = _checked(source, spec)
    plan = spec.plan
    policy, null_split = spec.null_policy()
    check_only_split(spec, only_split)
    if schema is not None:
        identifiers.refuse_reserved(schema, f"the source {src}")
        clash = next((c for c in schema if identifiers.same_name(c, spec.split_column)), None)
        if clash is not None and only_split is None and adds_split_column:
            raise refusal(
                f"the source already has a column {clash!r}, the same name as the split column "
                f"{spec.split_column!r} (names are case-insensitive): pass [[split_column]] with another name", error=InvalidSplitSpec)
    key = _key_columns(spec, schema, schema_dialect, dialect, spec.key)
    context: dict[str, Any] = dict(
        src=src, key=key, salt_component=salt_component(spec.salt), plan=plan, null_keys=policy,
        null_split=null_split, split_column=spec.split_column, only_split=only_split,
        header_lines=_header(src, spec, plan, key, only_split, schema is not None or
                             all(c in spec.key_types for c in spec.key)),
    )
    if spec.stratify is None:
        return "split", context
    (stratum,) = _key_columns(spec, schema, schema_dialect, dialect, [spec.stratify])
    cumulative, total = [], Fraction(0)
    for fraction in plan.fractions:
        total += fraction
        cumulative.append(total)
    denominator = math.lcm(*(c.denominator for c in cumulative))
    if denominator > 10**6:
        raise InvalidSplitSpec("stratified splits need fractions with a common denominator up to 1,000,000")
    context.update(stratum=stratum, fine=FINE, denominator=denominator,
                   cumulative=[int(c * denominator) for c in cumulative])
    return "stratified_split", context


def split_context(source: str | identifiers.Source, spec: SplitSpec, dialect: str, *,
                  engine: Engine | None = None) -> tuple[str, dict[str, Any]]:
    """The split template's name and context (schema checked with an engine), for statements that wrap
    the split (bqml_tools.splitting.model: CREATE MODEL)."""
    src = _checked(source, spec, engine)
    schema = source_schema(engine, src) if engine is not None else None
    name, context = _context(src, spec, dialect, schema, None, engine.dialect if engine is not None else None)
    return f"split/{name}.sql", {**context, "schema": schema}


SLOT_COLUMNS = ("split_bucket", "sample_slot")


def split_query(source: str | identifiers.Source, spec: SplitSpec, dialect: str, *,
                engine: Engine | None = None, only_split: str | None = None,
                inline: bool = True, store_slots: bool = False) -> Query:
    """The split statement for ``dialect``: all columns plus the split column.

    With an engine, the source's schema is checked first (columns exist, key types have a
    canonical string). ``inline=True`` gives a self-contained statement to paste into a console.
    ``store_slots``: the rows also carry split_bucket = ABS(MOD(h, N)) and sample_slot (the hash's parts
    the split and the sample read), so a table stored with them, clustered by them, prunes later samples.
    """
    src = _checked(source, spec, engine)
    schema = source_schema(engine, src) if engine is not None else None
    name, context = _context(src, spec, dialect, schema, only_split,
                             engine.dialect if engine is not None else None)
    if store_slots:
        if name != "split":
            raise refusal("[[store_slots]] goes with a plain split, not [[stratify]] (a stratified key's split "
                          "is not its bucket)", error=InvalidSplitSpec)
        clash = next((c for c in schema or () for s in SLOT_COLUMNS if identifiers.same_name(c, s)), None)
        if clash is not None:
            raise refusal(f"the source already has a column {clash!r}, a name [[store_slots]] adds "
                          f"({', '.join(SLOT_COLUMNS)}): rename it in a view first", error=InvalidSplitSpec)
        plan = spec.plan
        context["header_lines"] = context["header_lines"] + [
            f"stored: split_bucket = ABS(MOD(h, {plan.buckets})), sample_slot = ABS(MOD(DIV(h, {plan.buckets}), "
            f"{plan.slots})): a later sample at rate r of this table is WHERE sample_slot < CEIL(r * {plan.slots}), "
            "which a table clustered by sample_slot prunes"]
    return render(f"split/{name}.sql", dialect, inline=inline, store_slots=store_slots, **context)


def profile_query(source: str | identifiers.Source, spec: SplitSpec, dialect: str, *,
                  schema: Mapping[str, str] | None = None, inline: bool = True) -> Query:
    name, context = _context(source, spec, dialect, schema, None, adds_split_column=False)
    template = "split/split_profile.sql" if name == "split" else "split/stratified_profile.sql"
    return render(template, dialect, inline=inline, **context)


def assignments_query(source: str | identifiers.Source, spec: SplitSpec, dialect: str, *,
                      engine: Engine | None = None, inline: bool = True) -> Query:
    """Each row's key string, fingerprint, bucket and split (and sample slot): for auditing a split."""
    src = _checked(source, spec, engine)
    if spec.stratify is not None:
        raise InvalidSplitSpec("assignments of a stratified split depend on the data: run the split itself")
    schema = source_schema(engine, src) if engine is not None else None
    _, context = _context(src, spec, dialect, schema, None, engine.dialect if engine else None,
                          adds_split_column=False)
    return render("split/assignments.sql", dialect, inline=inline, **context)


@dataclass
class SplitReport:
    """Per split: rows, realised vs asked fraction, distinct keys; plus warnings."""

    table: pd.DataFrame
    warnings: list[str]
    null_key_rows: int
    unsampled_rows: int
    # stratified: per label value, its rows, the realised fraction in each split and the largest
    # deviation from the asked fractions (max_deviation)
    strata: pd.DataFrame | None = None


def _profile(engine: Engine, source: identifiers.Source, spec: SplitSpec,
             schema: Mapping[str, str]) -> pd.DataFrame:
    profile = engine.run(profile_query(source, spec, engine.dialect, schema=schema, inline=False))
    for column in ("n_rows", "n_keys", "max_key_rows"):
        profile[column] = profile[column].fillna(0).astype("int64")
    return profile


def _check_nulls(profile: pd.DataFrame, spec: SplitSpec) -> tuple[int, int]:
    null_keys = int(profile.loc[profile["part"] == "null_key", "n_rows"].sum())
    null_labels = int(profile.loc[profile["part"] == "null_label", "n_rows"].sum())
    key = ", ".join(spec.key)
    if null_keys and spec.null_policy()[0] == "error":
        raise refusal(
            f"{null_keys:,} row(s) have a NULL key ({key}): rerun with [[null_keys=drop]] to drop them "
            "or [[null_keys=split:NAME]] to send them to split NAME", error=NullKeys)
    if null_labels:
        raise NullKeys(
            f"{null_labels:,} row(s) have a NULL label in {spec.stratify}: a stratified split needs "
            "a label on every row; filter or fill them first"
        )
    return null_keys, null_labels


def _report(profile: pd.DataFrame, spec: SplitSpec) -> SplitReport:
    plan = spec.plan
    policy, null_split = spec.null_policy()
    null_rows, _ = _check_nulls(profile, spec)
    sampled = profile[profile["part"] == "sampled"]
    total_rows = int(profile["n_rows"].sum())
    total_keys = int(profile.loc[profile["part"] != "null_key", "n_keys"].sum())
    rows = sampled.groupby("split")["n_rows"].sum()
    keys = sampled.groupby("split")["n_keys"].sum()
    names = list(plan.names)
    asked = dict(zip(plan.names, plan.fractions))
    if policy == "split" and null_split not in names:
        names.append(null_split)
    out_rows = {n: int(rows.get(n, 0)) for n in names}
    out_keys = {n: int(keys.get(n, 0)) for n in names}
    if policy == "split":
        out_rows[null_split] += null_rows
    kept = sum(out_rows.values())
    table = pd.DataFrame({
        "split": names,
        "rows": [out_rows[n] for n in names],
        "fraction": [out_rows[n] / kept if kept else float("nan") for n in names],
        "asked": [float(asked[n]) if n in asked else float("nan") for n in names],
        "distinct_keys": [out_keys[n] for n in names],
        "buckets": [f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in plan.ranges().values()]
                   + ([] if len(names) == len(plan.names) else ["NULL key"]),
    })
    warnings = []
    if total_rows == 0:
        warnings.append("the source has no rows: every split is empty")
    if total_keys and total_keys / plan.buckets < LUMPY_KEYS_PER_BUCKET:
        warnings.append(
            f"the key has {total_keys:,} distinct value(s) for {plan.buckets:,} buckets "
            f"({total_keys / plan.buckets:.2g} per bucket): splits will be lumpy; key on a column "
            "with more distinct values or use fewer buckets"
        )
    smallest = min(plan.fractions) * plan.sample
    top = profile.loc[profile["part"] != "null_key", "max_key_rows"].max()
    top = 0 if pd.isna(top) else int(top)
    if total_rows and top / total_rows > smallest / 2:
        warnings.append(
            f"one key value holds {top:,} rows ({top / total_rows:.1%} of the table), more than half "
            f"the smallest split's share ({float(smallest):.1%}): that value alone can skew a split"
        )
    sampled_keys = int(sampled["n_keys"].sum())
    if spec.stratify is None and sampled_keys >= 100:
        for name, fraction in asked.items():
            expected = sampled_keys * float(fraction)
            sd = math.sqrt(expected * (1 - float(fraction)))
            # Given the sampled keys, a split's key count is binomial when the hash is uniform; it is
            # not quite uniform on some structured values (FARM_FINGERPRINT of the 4-digit strings
            # '1000'..'9999' puts 11.3% of them in bucket 8 of 10), so a far-off count is reported as
            # what it is, the same on BigQuery, not as a broken key column.
            if abs(out_keys[name] - expected) > 4 * sd + 1:
                warnings.append(
                    f"split {name} has {out_keys[name]:,} keys where about {expected:,.0f} were expected "
                    f"({(out_keys[name] - expected) / sd:+.1f} standard deviations): FARM_FINGERPRINT spreads "
                    "these key values unevenly over the buckets (as it does short sequential ids), the same "
                    "on BigQuery; --salt gives every key a new hash"
                )
    strata = None
    if spec.stratify is not None:
        strata = _strata(sampled, plan)
        for row in strata.itertuples(index=False):
            if row.max_deviation > STRATUM_DEVIATION_WARNING:
                warnings.append(
                    f"label {row.stratum}: its rows' split fractions are up to {row.max_deviation:.1%} off the "
                    "asked ones (few keys carry it, and a key's rows stay in one split)"
                )
    return SplitReport(table=table, warnings=warnings, null_key_rows=null_rows,
                       unsampled_rows=int(profile.loc[profile["part"] == "unsampled", "n_rows"].sum()),
                       strata=strata)


def _strata(sampled: pd.DataFrame, plan: BucketPlan) -> pd.DataFrame:
    """Per label value: its sampled rows, the realised fraction of them in each split, and the
    largest gap between a realised and an asked fraction."""
    names = list(plan.names)
    counts = (sampled.groupby(["stratum", "split"])["n_rows"].sum().unstack(fill_value=0)
              .reindex(columns=names, fill_value=0))
    counts.columns.name = None
    rows = counts.sum(axis=1)
    shares = counts.div(rows.where(rows > 0), axis=0)
    asked = pd.Series([float(f) for f in plan.fractions], index=names)
    out = shares.copy()
    out.insert(0, "rows", rows.astype("int64"))
    out["max_deviation"] = (shares - asked).abs().max(axis=1)
    return out.reset_index()


def validated_schema(engine: Engine, source: str | identifiers.Source, spec: SplitSpec, *,
                     only_split: str | None = None, adds_split_column: bool = True) -> dict[str, str]:
    """The source's schema, after every check a split makes before it reads a row: the split name,
    the columns and their types, reserved names, and (when the rows get a split column, i.e.
    ``adds_split_column`` and no ``only_split``) no source column of the split column's name.
    split_report, split, materialize and the CLI all check here, so every mode refuses the same."""
    src = _checked(source, spec, engine, needs_engine=True)
    check_only_split(spec, only_split)
    schema = source_schema(engine, src)
    _context(src, spec, engine.dialect, schema, only_split, adds_split_column=adds_split_column)
    return schema


def _refuse_empty(report: SplitReport, source: identifiers.Source) -> None:
    if int(report.table["rows"].sum()) + report.unsampled_rows + report.null_key_rows == 0:
        raise BqmlToolsError(f"no rows to split in {source}: the source is empty")


def split_report(engine: Engine, source: str | identifiers.Source, spec: SplitSpec, *,
                 only_split: str | None = None, refuse_empty: bool = False) -> SplitReport:
    """Run the profile query (one scan) and summarise: raises NullKeys under the 'error' policy.

    The report is of the split ``split(engine, source, spec, only_split=only_split)`` returns, so the
    same source is refused: a source column named like the split column only with ``only_split``
    (whose rows carry no split column). An empty source gives a report of empty splits and a warning,
    or with ``refuse_empty`` (what the CLI does) an error.
    """
    src = _checked(source, spec, engine, needs_engine=True)
    schema = validated_schema(engine, src, spec, only_split=only_split)
    report = _report(_profile(engine, src, spec, schema), spec)
    if refuse_empty:
        _refuse_empty(report, src)
    return report


def split(engine: Engine, source: str | identifiers.Source, spec: SplitSpec, *,
          only_split: str | None = None) -> pd.DataFrame:
    """The split rows as a DataFrame (all columns plus the split column, or one split's rows).

    NULL keys are counted first: under the 'error' policy nothing is returned and NullKeys
    says how many rows have one.
    """
    src = _checked(source, spec, engine, needs_engine=True)
    split_report(engine, src, spec, only_split=only_split)
    return engine.run(split_query(src, spec, engine.dialect, engine=engine, only_split=only_split,
                                  inline=False))


def materialize_queries(source: str | identifiers.Source, spec: SplitSpec, destination: str, dialect: str, *,
                        engine: Engine | None = None, view: bool = False, per_split: bool = False,
                        replace: bool = False, options: TableOptions | None = None,
                        store_slots: bool = False) -> list[Query]:
    """CREATE [OR REPLACE] TABLE|VIEW statements storing the split: one table with the split
    column, or with ``per_split`` one per split named ``<destination>_<split>``. ``options``: the
    tables' CLUSTER BY, PARTITION BY, expiration, description and labels (BigQuery tables only)."""
    if options is not None and not isinstance(options, TableOptions):
        raise InvalidSplitSpec(f"options {options!r} must be a bqml_tools.splitting.TableOptions")
    if options and view:
        raise refusal("table options ([[cluster_by]], [[partition_by]], ...) are for tables: drop [[view=True]] or them",
                      error=InvalidSplitSpec)
    src = _checked(source, spec, engine)
    if store_slots and dialect == "bigquery" and not (options and options.cluster_by):
        # stored slots pay when the table is clustered by them: a later sample's filter prunes blocks
        base = options or TableOptions()
        options = TableOptions(cluster_by=SLOT_COLUMNS[::-1], partition_by=base.partition_by,
                               expiration_days=base.expiration_days, description=base.description, labels=base.labels)
    target = identifiers.source(destination)
    if target.is_file:
        raise refusal(f"destination {destination!r} must be a table name, not a file: use [[output]] for files", error=InvalidSplitSpec)
    kind = "VIEW" if view else "TABLE"
    if not per_split:
        body = split_query(src, spec, dialect, engine=engine, store_slots=store_slots)
        return [render("materialize.sql", dialect, destination=target, kind=kind, replace=replace, body=body.sql,
                       options=options or None)]
    policy, null_split = spec.null_policy()
    names = list(spec.plan.names) + ([null_split] if policy == "split" and null_split not in spec.plan.names else [])
    out = []
    for name in names:
        table = identifiers.source(f"{destination}_{name}")
        body = split_query(src, spec, dialect, engine=engine, only_split=name, store_slots=store_slots)
        out.append(render("materialize.sql", dialect, destination=table, kind=kind, replace=replace, body=body.sql,
                          options=options or None))
    return out


def materialize(engine: Engine, source: str | identifiers.Source, spec: SplitSpec, destination: str, *,
                view: bool = False, per_split: bool = False, replace: bool = False,
                refuse_empty: bool = False, options: TableOptions | None = None,
                store_slots: bool = False) -> SplitReport:
    """Store the split as table(s) or view(s) on the engine, after the NULL-key check (and with
    ``refuse_empty``, the check that the source has rows).

    Returns the split report; raises DestinationExists rather than overwrite without ``replace``.
    """
    src = _checked(source, spec, engine, needs_engine=True)
    require(engine, CanExecute, "materialize")
    schema = validated_schema(engine, src, spec, adds_split_column=not per_split)
    report = _report(_profile(engine, src, spec, schema), spec)
    if refuse_empty:
        _refuse_empty(report, src)
    for query in materialize_queries(src, spec, destination, engine.dialect, engine=engine, view=view,
                                     per_split=per_split, replace=replace, options=options,
                                     store_slots=store_slots):
        engine.execute(query)
    return report

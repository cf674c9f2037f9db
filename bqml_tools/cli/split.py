"""``bqml-tools split``: split (and sample) a table by FARM_FINGERPRINT of a key; print, write or store it."""
from __future__ import annotations

import os
from typing import Any

import click

from ..core import identifiers
from ..errors import BqmlToolsError
from ..present.tables import format_frame, natural_order, splits_in_natural_order
from . import run
from .files import check_output
from .options import apply, job_labels, run_options, split_engine_options, split_options
from .params import Number
from .params import key_types as parse_key_types
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("source")
@apply(split_options)
@click.option("--null-keys", default="error", show_default=True, metavar="POLICY",
              help="What to do with NULL keys: error (count and refuse), drop, or split:NAME.")
@click.option("--stratify", default=None, metavar="LABEL",
              help="Make every value of this label column follow the fractions on its own.")
@click.option("--split", "only_split", default=None, metavar="NAME",
              help="Only the rows of this split, without the split column.")
@click.option("--split-column", default="split", show_default=True, help="Name of the added column.")
@click.option("--key-type", "key_types", multiple=True, metavar="COLUMN=TYPE",
              help="Key column type when printing SQL without reading the source (e.g. ts=TIMESTAMP).")
@click.option("--output", default=None, metavar="PATH",
              help="DuckDB: write the split rows (the printed query's rows) to a .parquet, .pq, .csv or .tsv "
                   "file; never the input, never over an existing file without --replace.")
@click.option("--destination", default=None, metavar="TABLE",
              help="Store the split as a table (or --view) with a split column; never overwrites without --replace.")
@click.option("--view", is_flag=True, help="With --destination: create views instead of tables.")
@click.option("--per-split", is_flag=True, help="With --destination: one table or view per split, TABLE_<split>.")
@click.option("--replace", is_flag=True,
              help="With --destination: CREATE OR REPLACE; with --output: overwrite an existing file.")
@click.option("--create-model", default=None, metavar="PROJECT.DATASET.MODEL",
              help="BigQuery ML: print (--dialect bigquery) or run (--engine bigquery) CREATE OR REPLACE MODEL on this "
                   "split: train rows train, valid rows evaluate (DATA_SPLIT_METHOD 'CUSTOM'), test rows are held out.")
@click.option("--model-type", default=None, metavar="TYPE", help="With --create-model: MODEL_TYPE, e.g. logistic_reg.")
@click.option("--label", default=None, metavar="COLUMN", help="With --create-model: the label (INPUT_LABEL_COLS).")
@click.option("--options", "model_options", default=None, metavar="NAME=VALUE,...",
              help="With --create-model: more CREATE MODEL options, e.g. max_iterations=20,auto_class_weights=true.")
@click.option("--store-slots", is_flag=True,
              help="With --destination: also store split_bucket and sample_slot (the hash's parts the split and the "
                   "sample read); on BigQuery the table is clustered by them, so WHERE sample_slot < N prunes.")
@click.option("--cluster-by", multiple=True, metavar="COLUMN",
              help="BigQuery, with --destination: CLUSTER BY these columns (repeatable, at most 4): filters on them prune.")
@click.option("--partition-by", default=None, metavar="COLUMN",
              help="BigQuery, with --destination: PARTITION BY DATE(COLUMN) (a DATE, DATETIME or TIMESTAMP column).")
@click.option("--expiration-days", default=None, type=Number(whole=True), metavar="N",
              help="BigQuery, with --destination: the tables expire N days after they are created.")
@click.option("--table-description", default=None, metavar="TEXT", help="BigQuery, with --destination: the tables' description.")
@click.option("--table-label", "table_labels", multiple=True, metavar="KEY=VALUE", callback=job_labels,
              help="BigQuery, with --destination: a label on the tables (repeatable).")
@apply(run_options)
def split(source: str, keys: tuple[str, ...], fractions: str, salt: str | None, sample: str | None,
          buckets: int | None, null_keys: str, stratify: str | None, only_split: str | None,
          split_column: str, key_types: tuple[str, ...], output: str | None, destination: str | None,
          view: bool, per_split: bool, replace: bool, store_slots: bool, cluster_by: tuple[str, ...], partition_by: str | None,
          expiration_days: int | None, table_description: str | None, table_labels: dict[str, str],
          create_model: str | None, model_type: str | None, label: str | None, model_options: str | None,
          **options: Any) -> None:
    """Split SOURCE (a table, or a .csv/.parquet file on DuckDB) by FARM_FINGERPRINT of a key.

    With --dialect it prints one self-contained statement that returns every sampled row with a
    split column: paste it into the BigQuery console as is. Otherwise it runs (on DuckDB, or
    BigQuery with --engine bigquery), prints the split report, and writes the rows with
    --output or stores them with --destination.

    \b
    Examples:
      bqml-tools split my-project.ml.events --key user_id --dialect bigquery
      bqml-tools split my-project.ml.events --key user_id --sample 1/70 --split train --dialect bigquery
      bqml-tools split events.parquet --key user_id --key day --salt exp-7 --output split.parquet
      bqml-tools split events.csv --key user_id --stratify label --format json
      bqml-tools split my-project.ml.events --key user_id --engine bigquery --project my-project \\
          --destination my-project.ml.events_split --replace
      bqml-tools split my-project.ml.events --key user_id --create-model my-project.ml.churn \\
          --model-type logistic_reg --label churned --dialect bigquery
    """
    from ..splitting import queries as splitting
    from ..splitting.spec import SplitSpec
    from ..splitting.table_options import TableOptions

    engine_options, _ = split_engine_options(options)
    spec = SplitSpec(
        key=keys, fractions=fractions, salt=salt, sample=sample, buckets=buckets,
        null_keys=null_keys, stratify=stratify, split_column=split_column,
        key_types=parse_key_types(key_types),
    )
    splitting.check_only_split(spec, only_split)
    if create_model is not None or model_type is not None or label is not None or model_options is not None:
        create_model_statement(source, spec, create_model, model_type, label, model_options, engine_options,
                               only_split=only_split, output=output, destination=destination, view=view,
                               per_split=per_split, replace=replace, store_slots=store_slots, cluster_by=cluster_by,
                               partition_by=partition_by, expiration_days=expiration_days,
                               table_description=table_description, table_label=table_labels)
        return
    table_options = TableOptions(cluster_by=cluster_by, partition_by=partition_by, expiration_days=expiration_days,
                                 description=table_description, labels=table_labels)
    if store_slots and destination is None:
        raise BqmlToolsError("--store-slots goes with --destination TABLE (or call split_query(store_slots=True))")
    if table_options and destination is None:
        raise BqmlToolsError("--cluster-by, --partition-by, --expiration-days, --table-description and --table-label "
                             "go with --destination TABLE")
    if (view or per_split) and destination is None:
        raise BqmlToolsError("--view and --per-split go with --destination TABLE")
    if replace and destination is None and output is None:
        raise BqmlToolsError("--replace goes with --destination TABLE or --output PATH")
    run.run_only(engine_options, output=None if output is None else "writes the rows")
    if output is not None:
        check_output(output, source, replace)

    def statements(dialect: str, reader: Any, inline: bool) -> Any:
        if destination is not None and inline:  # printed: the statements that store the split
            queries = splitting.materialize_queries(source, spec, destination, dialect, engine=reader, view=view,
                                                    per_split=per_split, replace=replace, options=table_options,
                                                    store_slots=store_slots)
            return ";\n\n".join(q.sql.rstrip() for q in queries) + ";\n"
        if inline:
            return splitting.split_query(source, spec, dialect, engine=reader, only_split=only_split, inline=inline)
        # --dry-run: every job the run submits: the profile (the report, the NULL-key check), then the
        # statements that store the split, or the split itself when --output writes it
        schema = None if reader is None else splitting.validated_schema(
            reader, identifiers.source(source), spec, adds_split_column=destination is None or not per_split)
        jobs = [splitting.profile_query(source, spec, dialect, schema=schema, inline=False)]
        if destination is not None:
            return jobs + splitting.materialize_queries(source, spec, destination, dialect, engine=reader, view=view,
                                                        per_split=per_split, replace=replace, options=table_options,
                                                    store_slots=store_slots)
        if output is not None:
            jobs.append(splitting.split_query(source, spec, dialect, engine=reader, only_split=only_split, inline=False))
        return jobs

    on_duckdb = (engine_options["engine_name"] or "duckdb") == "duckdb"
    if output is not None and not on_duckdb:
        raise BqmlToolsError("--output writes files from DuckDB; on BigQuery store the split with --destination")
    database = engine_options["database"]
    creates = (destination is not None and on_duckdb and not database.startswith(":memory:")
               and not os.path.exists(database))
    runner = run.statement(source, engine_options, statements, writes=destination is not None)
    if runner is None:
        return
    try:
        run_split(runner, source, spec, only_split, stratify, output, destination, view, per_split, replace,
                  engine_options, table_options, store_slots)
    except BaseException:
        if creates:  # a failed --destination run leaves no new database behind (the CLI made a DuckDBEngine)
            runner.connection.close()
            for leftover in (database, database + ".wal"):
                if os.path.exists(leftover):
                    os.unlink(leftover)
        raise


def run_split(runner: Any, source: str, spec: Any, only_split: str | None, stratify: str | None,
              output: str | None, destination: str | None, view: bool, per_split: bool, replace: bool,
              engine_options: dict[str, Any], table_options: Any = None, store_slots: bool = False) -> None:
    """Run the split (or store it with ``destination``), write ``output``, print the report."""
    from ..engines.base import CanExport, require
    from ..splitting import queries as splitting

    if destination is not None:
        report = splitting.materialize(runner, source, spec, destination, view=view, per_split=per_split,
                                       replace=replace, refuse_empty=True, options=table_options,
                                       store_slots=store_slots)
        click.echo(f"stored the split in {destination}{'_<split>' if per_split else ''} "
                   f"({'views' if view else 'tables'})", err=True)
    else:
        report = splitting.split_report(runner, source, spec, only_split=only_split, refuse_empty=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output is not None:
        query = splitting.split_query(source, spec, runner.dialect, engine=runner,
                                      only_split=only_split, inline=False)
        require(runner, CanExport, "split --output").export(query, output, replace=replace)
        rows = report.table["rows"] if only_split is None else report.table.loc[report.table["split"] == only_split,
                                                                                 "rows"]
        click.echo(f"wrote {int(rows.sum()):,} rows{'' if only_split is None else ' of split ' + only_split} "
                   f"to {output}", err=True)
    fmt = engine_options["fmt"]
    table = natural_order(report.table, ["split"])
    click.echo(format_frame(table, fmt))
    if report.strata is not None and fmt == "table":
        strata = splits_in_natural_order(report.strata, list(table["split"]))
        click.echo(f"\nrows per {stratify} value:\n" + format_frame(strata, fmt))
    for note in report_notes(report, spec):
        click.echo(note, err=fmt != "table")  # json/csv stay machine-readable on stdout


def report_notes(report: Any, spec: Any) -> list[str]:
    """What the split table does not show: sampled vs unsampled rows, and NULL-key rows dropped."""
    notes = []
    if spec.plan.sampled:
        kept = int(report.table["rows"].sum())
        notes.append(f"sampled {kept:,} of {kept + report.unsampled_rows:,} rows ({spec.sample} sample of the keys); "
                     f"{report.unsampled_rows:,} rows not sampled")
    if spec.null_policy()[0] == "drop":
        notes.append(f"dropped {report.null_key_rows:,} row(s) with a NULL key (--null-keys drop)")
    return notes


def create_model_statement(source: str, spec: Any, model: str | None, model_type: str | None, label: str | None,
                           model_options: str | None, engine_options: dict[str, Any], **others: Any) -> None:
    """split --create-model: print or run CREATE OR REPLACE MODEL on the split (DATA_SPLIT_METHOD 'CUSTOM')."""
    from ..splitting.model import ModelSpec, check, create_model_query

    if model is None:
        given = "--model-type" if model_type is not None else "--label" if label is not None else "--options"
        raise BqmlToolsError(f"{given} goes with --create-model PROJECT.DATASET.MODEL")
    for name, value in others.items():  # the options of a stored split: given, they would do nothing here
        if value not in (None, False, (), {}):
            flag = {"only_split": "--split"}.get(name, "--" + name.replace("_", "-"))
            raise BqmlToolsError(f"--create-model reads the train and valid rows itself (CREATE OR REPLACE MODEL): "
                                 f"leave {flag} out")
    if model_type is None or label is None:
        raise BqmlToolsError("--create-model needs --model-type TYPE (e.g. logistic_reg) and --label COLUMN")
    target = ModelSpec(model, model_type, label, model_options or "")
    check(spec, target)
    if (engine_options["dialect"] or "bigquery") != "bigquery" or (
            engine_options["dialect"] is None and engine_options["engine_name"] != "bigquery"):
        raise BqmlToolsError("CREATE MODEL is BigQuery ML: print it with --dialect bigquery or run it with "
                             "--engine bigquery")
    runner = run.statement(source, engine_options, lambda dialect, reader, inline: create_model_query(
        source, spec, target, dialect, engine=reader), writes=True)
    if runner is None:
        return
    from ..engines.base import CanExecute, require

    require(runner, CanExecute, "split --create-model").execute(
        create_model_query(source, spec, target, runner.dialect, engine=runner))
    click.echo(f"created model {model} (train rows train it, valid rows evaluate it; test rows held out)", err=True)

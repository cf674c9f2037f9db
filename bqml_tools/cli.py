"""``bqml-tools``: split and sample in the warehouse, the same on DuckDB and BigQuery.

Library errors become one line on stderr and exit status 2.
"""
from __future__ import annotations

import math
import os
import re
import sys
from typing import Any, Sequence
from urllib.parse import urlsplit

import click

from .errors import BqmlToolsError
from .output import FORMATS, format_frame

# Start-up stays fast: pandas, DuckDB, jinja2, numba and the BigQuery client are imported inside the
# commands that use them (tests/test_cli.py checks that --help loads none of them).
DIALECTS = ("bigquery", "duckdb")  # bqml_tools.templates.DIALECTS, without importing jinja2


def _key_types(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        column, sep, kind = pair.partition("=")
        if not sep or not column or not kind:
            raise click.BadParameter(f"{pair!r}: write COLUMN=TYPE, e.g. created_at=TIMESTAMP",
                                     param_hint="--key-type")
        out[column] = kind
    return out


class Typed(float):
    """A number as the user typed it: ``repr`` (what error messages quote, ``{value!r}``) gives the text
    (``-1``, ``50%``), while ``str``, formatting, arithmetic and query parameters see the plain float."""

    text: str

    def __new__(cls, value: float, text: str) -> Typed:
        number = super().__new__(cls, value)
        number.text = text
        return number

    def __repr__(self) -> str:
        return self.text

    __str__ = float.__repr__


class Number(click.ParamType):
    """Every numeric option: ``0.5``, ``1/3`` or ``50%``, read by the parser of ``--fractions``
    (bqml_tools.plan.parse_fraction: exact, at most 30 significant digits and exponents within +-30,
    so nothing can hang). ``whole`` options take plain whole numbers only (``3``, ``-2``), never a
    fraction, a percentage or an exponent. Errors are one line naming the option and the value."""

    name = "number"

    def __init__(self, whole: bool = False, low: int | None = None, high: int | None = None) -> None:
        self.whole, self.low, self.high = whole, low, high

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = repr(value)  # a default
        from .errors import InvalidSplitSpec
        from .plan import parse_fraction

        option = param.opts[0] if param is not None and param.opts else "value"
        text = str(value).strip()
        example = "a whole number like 3" if self.whole else "a number like 0.5, 1/3 or 50%"
        if self.whole and not re.fullmatch(r"[+-]?[0-9]{1,30}", text):
            raise BqmlToolsError(f"{option} {value!r} is not a whole number: write {example}")
        try:
            exact = parse_fraction(text, option)
        except InvalidSplitSpec as error:
            raise BqmlToolsError(f"{str(error).split(':')[0]}: write {example}") from None
        if self.whole and exact.denominator != 1:
            raise BqmlToolsError(f"{option} {value!r} is not a whole number: write {example}")
        number = int(exact) if self.whole else Typed(float(exact), text)
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise BqmlToolsError(f"{option} {value!r} is out of range: write a whole number from {self.low:,} "
                                 f"to {self.high:,}")
        return number


def _duckdb_engine(database: str, writes: bool = False) -> Any:
    """Only a command that stores a table (``writes``) may create or change the database file."""
    from .engines import DuckDBEngine

    return DuckDBEngine(database=database, read_only=not writes)


class StrictCommand(click.Command):
    """A command that refuses a single-value option given twice instead of silently keeping the last.

    Options declared ``multiple=True`` (``--key``, ``--by``, ``--key-type``) stay repeatable.
    """

    def make_parser(self, ctx: click.Context) -> Any:
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_once(args: list[str]) -> Any:
            opts, rest, order = parse(args=args)
            if ctx.resilient_parsing:  # shell completion: never fail
                return opts, rest, order
            seen: set[str] = set()
            for param in order:
                if not isinstance(param, click.Option) or param.multiple or param.count or param.is_eager:
                    continue
                if param.name in seen:
                    flags = " / ".join(param.opts + param.secondary_opts)
                    raise click.UsageError(f"{flags} given more than once: give it once (only "
                                           f"{_repeatable(self)} may repeat)", ctx)
                seen.add(param.name or "")
            return opts, rest, order

        parser.parse_args = parse_once
        return parser

    def invoke(self, ctx: click.Context) -> Any:
        _refuse_file_on_bigquery(ctx.params)
        return super().invoke(ctx)


def _refuse_file_on_bigquery(params: dict[str, Any]) -> None:
    """A file SOURCE with --engine bigquery: refused before a BigQuery client (and its credentials) is made."""
    source = params.get("source")
    if params.get("engine_name") == "bigquery" and isinstance(source, str) and \
            os.path.splitext(source)[1].lower() in (".csv", ".parquet", ".pq", ".tsv"):
        raise BqmlToolsError(f"SOURCE {source} is a file, which only DuckDB reads: drop --engine bigquery, or load "
                             "the file into a BigQuery table and give its name (project.dataset.table)")


class StrictGroup(click.Group):
    """Every subcommand is a StrictCommand."""

    command_class = StrictCommand


def _repeatable(command: click.Command) -> str:
    names = [p.opts[0] for p in command.params if isinstance(p, click.Option) and p.multiple]
    return ", ".join(names) if names else "no option"


class Seconds(Number):
    """A finite number of seconds in (0, 21600]: BigQuery's longest query job runs 6 hours."""

    name = "seconds"
    LIMIT = 6 * 3600.0

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            seconds = super().convert(value, param, ctx)
        except BqmlToolsError:
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0 < seconds <= self.LIMIT:
            self.fail(f"{value!r} must be a finite number of seconds above 0 and at most {self.LIMIT:g} "
                      "(6 hours, BigQuery's job limit)", param, ctx)
        return seconds


def _endpoint(ctx: Any, param: Any, value: str | None) -> str | None:
    """An --api-endpoint must be an http(s) URL with a host (and a valid port, if any)."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or 0 < parts.port
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise click.BadParameter(f"{value!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:9050",
                                 ctx=ctx, param=param)
    return value


FORMAT_HELP = ("How to print the result on stdout: an aligned table, JSON or CSV (a file written with "
               "--output or --plot takes its format from its suffix).")
PRINT_HELP = "How to print the result: an aligned table, JSON or CSV."

split_options = [
    click.option("--key", "keys", multiple=True, required=True, metavar="COLUMN",
                 help="Column(s) to hash; repeat for a composite key. Rows sharing a key stay together."),
    click.option("--fractions", default="train=0.8,valid=0.1,test=0.1", show_default=True,
                 help="name=fraction pairs, in bucket order; fractions sum to 1 (0.8, 4/5, 80%)."),
    click.option("--salt", default=None, help="Text mixed into the key, for independent experiments."),
    click.option("--sample", default=None, metavar="RATE",
                 help="Keep only this share of keys (1/70, 0.01; at least 1/1000000). A key's split is the "
                      "same at every rate, and a larger rate only adds keys."),
    click.option("--buckets", default=None, metavar="N", type=Number(whole=True),
                 help="Bucket count of the split, ABS(MOD(h, N)) (default: the smallest that makes every "
                      "fraction boundary whole; at most 1000000)."),
]


def _apply(options: list[Any]) -> Any:
    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function
    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             cls=StrictGroup)
@click.version_option(package_name="bqml-tools")
def cli() -> None:
    """Sample, split and evaluate inside BigQuery, and get the same answer on DuckDB.

    \b
    Examples:
      bqml-tools demo
      bqml-tools split my-project.ml.events --key user_id --dialect bigquery
      bqml-tools split events.parquet --key user_id --sample 1/70 --output sample.parquet
      bqml-tools fingerprint 1footrue
    """


def _readable(source: str, database: str) -> bool:
    """Whether DuckDB can see ``source`` (a file, or a table in an existing database), to check its schema."""
    if source.lower().endswith((".csv", ".parquet", ".pq", ".tsv")):
        return os.path.exists(source)
    return database != ":memory:" and os.path.exists(database)


@cli.command()
@click.argument("values", nargs=-1, required=True)
@click.option("--hex", "from_hex", is_flag=True, help="VALUES are hex-encoded BYTES, not text.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help=PRINT_HELP)
def fingerprint(values: tuple[str, ...], from_hex: bool, fmt: str) -> None:
    """Print BigQuery's FARM_FINGERPRINT of each VALUE (signed INT64).

    \b
    Examples:
      bqml-tools fingerprint 1footrue        # -1541654101129638711, as on BigQuery
      bqml-tools fingerprint --hex 00ff
    """
    from .fingerprint import farm_fingerprint
    from .output import format_plain

    rows = []
    for value in values:
        if from_hex:
            try:
                data: str | bytes = bytes.fromhex(value)
            except ValueError:
                raise BqmlToolsError(f"{value!r} is not hex: write bytes as pairs of hex digits, e.g. 00ff") from None
        else:
            data = value
        rows.append({"value": value, "farm_fingerprint": farm_fingerprint(data)})
    click.echo(format_plain(rows, fmt))  # no pandas to print two columns


@cli.command("which-split")
@click.argument("values", nargs=-1, required=True)
@_apply(split_options)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help=PRINT_HELP)
def which_split(values: tuple[str, ...], keys: tuple[str, ...], fractions: str, salt: str | None,
                sample: str | None, buckets: int | None, fmt: str) -> None:
    """Which split each key VALUE falls in, without reading any table.

    A VALUE is the key as text (42, 2024-01-31, true). For a composite key (--key given more
    than once) separate the parts of one VALUE with commas.

    \b
    Examples:
      bqml-tools which-split 42 43 --key user_id
      bqml-tools which-split 42,2024-01-31 --key user_id --key day --sample 1/70
    """
    from . import splitting

    spec = splitting.SplitSpec(key=keys, fractions=fractions, salt=salt, sample=sample,
                               buckets=buckets)
    parsed = [v if len(keys) == 1 else v.split(",") for v in values]
    for value, parts in zip(values, parsed):
        if len(keys) > 1 and len(parts) != len(keys):
            raise BqmlToolsError(
                f"key value {value!r} has {len(parts)} part(s) but --key names {len(keys)} columns "
                f"({', '.join(keys)}): separate the parts of one VALUE with commas, e.g. "
                f"{','.join([parts[0]] + [f'<{k}>' for k in keys[1:]])}")
    click.echo(format_frame(splitting.assign(parsed, spec), fmt))


eval_options = [
    click.option("--label", required=True, metavar="COLUMN", help="The true label (or target) column."),
    click.option("--prediction", default=None, metavar="COLUMN",
                 help="Predicted value (regression) or class (multiclass)."),
    click.option("--score", default=None, metavar="COLUMN", help="Predicted probability of the positive class (binary)."),
    click.option("--by", multiple=True, metavar="COLUMN", help="Group by this column (repeatable): one row per group."),
    # evaluation options default to None ("not given"): EvalSpec refuses an option the task does not use
    click.option("--threshold", default=None, type=Number(), metavar="NUMBER",
                 help="Binary: positive when score >= threshold (default 0.5; 0.5, 1/3 and 50% all work)."),
    click.option("--positive", default=None, metavar="VALUE", help="Binary: the label value that means positive."),
    click.option("--probs", default=None, metavar="COLUMN",
                 help="Multiclass: ARRAY<STRUCT<label, prob>> column (ML.PREDICT's predicted_<label>_probs)."),
    click.option("--top-k", default=None, type=Number(whole=True), metavar="K", help="Multiclass: k of top_k_accuracy (needs --probs; default 3)."),
    click.option("--invalid", type=click.Choice(["error", "exclude"]), default="error", show_default=True,
                 help="Rows with NULL labels, non-binary labels or scores outside [0, 1]: refuse, or exclude and count."),
    click.option("--auc", type=click.Choice(["exact", "binned"]), default=None,
                 help="AUC from distinct scores (default for evaluate) or logit bins (default for curves and with --ci); the same on every engine."),
    click.option("--bins-per-logit", default=None, type=Number(whole=True), metavar="N",
                 help="Resolution of binned AUC and curves (default 10000; 1000 with --ci)."),
    click.option("--zero-division", type=click.Choice(["null", "sklearn"]), default=None,
                 help="A zero denominator gives NULL (default), or scikit-learn's 0."),
    click.option("--label-type", default=None, metavar="TYPE",
                 help="Label type when printing SQL without reading the source (e.g. BOOL)."),
    click.option("--weight", default=None, metavar="COLUMN",
                 help="Weight of each row (numbers >= 0), as scikit-learn's sample_weight."),
]

interval_options = [
    click.option("--ci", default=None, type=Number(), metavar="LEVEL",
                 help="Add <metric>_lower and <metric>_upper: a jackknife confidence interval at this level (e.g. 0.95); needs --key."),
    click.option("--key", multiple=True, metavar="COLUMN",
                 help="With --ci: rows are partitioned by FARM_FINGERPRINT of this key (repeatable); a key's rows stay together."),
    click.option("--partitions", default=None, type=Number(whole=True), metavar="K",
                 help="With --ci: number of jackknife partitions (default 20)."),
    click.option("--min-slice-rows", default=None, type=Number(whole=True), metavar="N",
                 help="With --by: groups with fewer rows are reported as too small; with --ci each is compared with the whole."),
]

run_options = [
    click.option("--dialect", type=click.Choice(DIALECTS), default=None,
                 help="Print the SQL for this dialect instead of running it."),
    click.option("--engine", "engine_name", type=click.Choice(["duckdb", "bigquery"]), default=None,
                 help="Engine that runs the query (default: duckdb, embedded)."),
    click.option("--database", default=":memory:", show_default=True,
                 help="DuckDB database file; read-only, and never created, except by split --destination."),
    click.option("--project", default=None, help="BigQuery: project that runs the jobs."),
    click.option("--location", default=None, help="BigQuery: job location (US, EU, ...)."),
    click.option("--api-endpoint", default=None, envvar="BQML_TOOLS_BIGQUERY_ENDPOINT", metavar="URL",
                 callback=_endpoint, help="BigQuery: API endpoint of an emulator (anonymous credentials), e.g. http://127.0.0.1:9050."),
    click.option("--max-bytes-billed", default=None, type=Number(whole=True, low=1, high=2**63 - 1), metavar="BYTES",
                 help="BigQuery: fail any job that would bill more than this."),
    click.option("--timeout", default=600.0, type=Seconds(), show_default=True, metavar="SECONDS",
                 help="BigQuery: job timeout (at most 21600), and how long failed jobs are retried; "
                      "an unreachable endpoint fails after at most 60 s."),
    click.option("--dry-run", is_flag=True, help="Validate the query and report the bytes it would process."),
    click.option("--progress/--no-progress", default=None, help="BigQuery: progress bar while downloading."),
    click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help=FORMAT_HELP),
]


def _make_engine(engine_name: str | None, database: str, project: str | None, location: str | None,
                 api_endpoint: str | None, max_bytes_billed: int | None, progress: bool | None,
                 timeout: float = 600.0, writes: bool = False, **_: Any) -> Any:
    if (engine_name or "duckdb") == "duckdb":
        return _duckdb_engine(database, writes=writes)
    from .bigquery import BigQueryEngine

    credentials = None
    if api_endpoint:
        from google.auth.credentials import AnonymousCredentials

        credentials = AnonymousCredentials()
    return BigQueryEngine(project=project, location=location, credentials=credentials,
                          client_options={"api_endpoint": api_endpoint} if api_endpoint else None,
                          max_bytes_billed=max_bytes_billed,
                          progress=sys.stderr.isatty() if progress is None else progress,
                          use_storage_api=not api_endpoint, timeout=timeout)


def _schema_reader(source: str, dialect: str, options: dict[str, Any]) -> Any:
    """The engine that can read the source's schema while printing SQL, if any."""
    if options.get("engine_name") == "bigquery" and dialect == "bigquery":
        return _make_engine(**options)
    if dialect == "duckdb" or source.lower().endswith((".csv", ".parquet", ".pq", ".tsv")):
        if not _readable(source, options["database"]):
            return None
        database = options["database"]  # printing SQL never creates, nor fails for, a missing database
        return _duckdb_engine(database if database.startswith(":memory:") or os.path.exists(database) else ":memory:")
    return None


def _dry_run(engine: Any, query: Any) -> None:
    from .errors import READ_LESS

    result = engine.dry_run(query)
    size = "an unknown number of" if result.bytes_processed is None else f"{result.bytes_processed:,}"
    note = " (DuckDB cannot estimate bytes)" if result.bytes_processed is None else ""
    click.echo(f"dry run: {query.template} is valid on {engine.dialect}; it would process {size} bytes{note}")
    limit = getattr(engine, "max_bytes_billed", None)
    if limit is not None and result.bytes_processed is not None and result.bytes_processed > limit:
        raise BqmlToolsError(f"{query.template} would process {result.bytes_processed:,} bytes, more than "
                             f"--max-bytes-billed {limit:,}: raise the limit, or read less: " + READ_LESS)


ENGINE_KEYS = ("dialect", "engine_name", "database", "project", "location", "api_endpoint",
               "max_bytes_billed", "timeout", "dry_run", "progress", "fmt")


def _split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    engine = {k: options.pop(k) for k in ENGINE_KEYS if k in options}
    return engine, options


def _eval_spec(task: str, label: str, prediction: str | None, score: str | None, by: tuple[str, ...],
               threshold: float | None, positive: str | None, probs: str | None, top_k: int | None, invalid: str,
               auc: str | None, bins_per_logit: int, zero_division: str, label_type: str | None,
               weight: str | None = None, ci: float | None = None, key: tuple[str, ...] = (),
               partitions: int | None = None, min_slice_rows: int | None = None) -> Any:
    from .evaluation import EvalSpec

    return EvalSpec(task=task, label=label, prediction=prediction, score=score, by=by,
                    threshold=threshold, positive=positive, probs=probs,
                    top_k=top_k, invalid=invalid, auc=auc, bins_per_logit=bins_per_logit,
                    zero_division=zero_division, label_type=label_type, weight=weight, ci=ci, key=key,
                    partitions=partitions, min_slice_rows=min_slice_rows)


def _emit(frame: Any, fmt: str, groups: Sequence[str] = (), metrics: str | None = None,
          transpose: bool = False) -> None:
    """Print a result: warnings on stderr; groups in natural order; only ``metrics`` (with the group
    columns) when given; one row in table format as (metric, value) lines."""
    for warning in frame.attrs.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    frame = natural_order(frame, [c for c in groups if c in frame.columns])
    if metrics is not None:
        frame = _choose(frame, metrics, groups)
    if transpose and fmt == "table" and len(frame) == 1:
        click.echo(transposed(frame))
        return
    click.echo(format_frame(frame, fmt))


def _choose(frame: Any, metrics: str, groups: Sequence[str]) -> Any:
    """The group columns and the ``--metrics`` columns, in the order given."""
    from .identifiers import chosen

    wanted = chosen(metrics, [c for c in frame.columns if c not in groups])
    return frame[[c for c in groups if c in frame.columns] + wanted]


@cli.command()
@click.argument("source")
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass"]), required=True)
@_apply(eval_options)
@_apply(interval_options)
@click.option("--view", type=click.Choice(["metrics", "classes", "confusion"]), default="metrics",
              show_default=True, help="Multiclass: the metrics, per-class rows, or the confusion matrix.")
@click.option("--metrics", default=None, metavar="A,B,...",
              help="Print only these columns (with the --by columns), in this order, e.g. rows,roc_auc,log_loss.")
@_apply(run_options)
def evaluate(source: str, task: str, view: str, metrics: str | None, **options: Any) -> None:
    """Metrics of a predictions table computed in SQL, in one scan, per group.

    \b
    Examples:
      bqml-tools evaluate preds.parquet --task binary --label label --score p --by split
      bqml-tools evaluate my-project.ml.preds --task regression --label y --prediction y_hat --dialect bigquery
      bqml-tools evaluate preds.csv --task multiclass --label y --prediction y_hat --view confusion
      bqml-tools evaluate preds.parquet --task binary --label label --score p --by split --ci 0.95 --key user_id
    """
    from . import evaluation

    engine_options, spec_options = _split_options(options)
    spec = _eval_spec(task, **spec_options)
    dialect = engine_options["dialect"]
    if metrics is not None and (dialect is not None or engine_options["dry_run"]):
        raise BqmlToolsError("--metrics chooses the printed columns of a run: drop --dialect/--dry-run, or drop --metrics")
    if dialect is not None:
        reader = _schema_reader(source, dialect, engine_options)
        click.echo(evaluation.evaluate_query(source, spec, dialect, engine=reader, view=view).sql, nl=False)
        return
    engine = _make_engine(**engine_options)
    if engine_options["dry_run"]:
        _dry_run(engine, evaluation.evaluate_query(source, spec, engine.dialect, engine=engine, view=view, inline=False))
        return
    frame = evaluation.evaluate(engine, source, spec, view=view)
    if spec.min_slice_rows is not None:
        _emit_slices(frame, engine_options["fmt"], spec.by, metrics)
        return
    _emit(frame, engine_options["fmt"], groups=spec.by, metrics=metrics, transpose=True)


def _emit_slices(frame: Any, fmt: str, by: Sequence[str], metrics: str | None) -> None:
    """evaluate --min-slice-rows: the whole's line first (with --ci; on stderr for json and csv, so that
    stdout stays one document), then the slices, each with its `slice` status (and worse_than_whole)."""
    from .slices import whole_line

    if "whole" in frame.attrs:
        chosen = None if metrics is None else [m.strip() for m in metrics.split(",")]
        click.echo(whole_line(frame.attrs["whole"], chosen), err=fmt != "table")
    if metrics is not None:
        wanted = [m.strip() for m in metrics.split(",")]
        extra = [c for c in ("slice", "worse_than_whole") if c in frame.columns and c not in wanted]
        metrics = ",".join(extra + wanted)
    _emit(frame, fmt, groups=by, metrics=metrics)


@cli.command()
@click.argument("source")
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass"]), required=True)
@_apply(eval_options)
@click.option("--against", required=True, metavar="COLUMN",
              help="The other model's column (a score for binary, a prediction otherwise), read on the same rows.")
@click.option("--ci", default=0.95, show_default=True, type=Number(), metavar="LEVEL",
              help="Level of the paired jackknife interval of each difference.")
@click.option("--key", multiple=True, metavar="COLUMN",
              help="Required: rows are partitioned by FARM_FINGERPRINT of this key (repeatable), the same for both models.")
@click.option("--partitions", default=None, type=Number(whole=True), metavar="K",
              help="Number of jackknife partitions (default 20).")
@click.option("--metrics", default=None, metavar="A,B,...",
              help="Compare only these metrics, in this order, e.g. roc_auc,log_loss.")
@_apply(run_options)
def compare(source: str, task: str, against: str, metrics: str | None, **options: Any) -> None:
    """Two models on the same rows: each metric's difference (against - first) with a paired interval.

    One scan evaluates both models on the rows valid for both, per jackknife replicate; the interval
    of each difference comes from the same partitions for both models, so what they share cancels.
    The table is followed by one reading per metric: which model is better, or no clear difference.

    \b
    Examples:
      bqml-tools compare preds.parquet --task binary --label label --score p_old --against p_new --key user_id
      bqml-tools compare preds.parquet --task regression --label y --prediction y_old --against y_new --key id --by split
      bqml-tools compare my-project.ml.preds --task binary --label label --score p_old --against p_new --key id --dialect bigquery
    """
    from .comparison import NEEDS_KEY, compare as compare_models, compare_query

    engine_options, spec_options = _split_options(options)
    if not spec_options["key"]:
        raise BqmlToolsError(NEEDS_KEY)
    spec = _eval_spec(task, **spec_options)
    dialect = engine_options["dialect"]
    if metrics is not None and (dialect is not None or engine_options["dry_run"]):
        raise BqmlToolsError("--metrics chooses the compared metrics of a run: drop --dialect/--dry-run, or drop --metrics")
    if dialect is not None:
        reader = _schema_reader(source, dialect, engine_options)
        click.echo(compare_query(source, spec, against, dialect, engine=reader).sql, nl=False)
        return
    engine = _make_engine(**engine_options)
    if engine_options["dry_run"]:
        _dry_run(engine, compare_query(source, spec, against, engine.dialect, engine=engine, inline=False))
        return
    frame = compare_models(engine, source, spec, against, metrics=metrics)
    fmt = engine_options["fmt"]
    if fmt != "table":
        _emit(frame, fmt, groups=spec.by)
        return
    table = frame.drop(columns=["reading"])
    table.attrs = dict(frame.attrs)
    _emit(table, fmt, groups=spec.by)
    click.echo("")
    for line in natural_order(frame, list(spec.by))["reading"]:
        click.echo(line)


@cli.command()
@click.argument("source")
@click.argument("kind", type=click.Choice(["roc", "pr", "thresholds", "calibration"]))
@_apply(eval_options)
@click.option("--steps", default=100, show_default=True, type=Number(whole=True), metavar="N",
              help="thresholds: 0, 1/steps, ..., 1.")
@click.option("--bins", default=10, show_default=True, type=Number(whole=True), metavar="N",
              help="calibration: equal-width bins on [0, 1].")
@click.option("--plot", default=None, metavar="PATH",
              help="Also draw the curve (one line per group) to a .png, .svg or .pdf file; needs matplotlib "
                   "(bqml-tools[plot]); never over an existing file without --replace.")
@click.option("--replace", is_flag=True, help="With --plot: overwrite an existing file.")
@_apply(run_options)
def curve(source: str, kind: str, steps: int, bins: int, plot: str | None, replace: bool, **options: Any) -> None:
    """ROC or PR curve, threshold sweep, or calibration table of a binary classifier, per group.

    \b
    Examples:
      bqml-tools curve preds.parquet roc --label label --score p
      bqml-tools curve preds.parquet calibration --label label --score p --bins 20 --format json
      bqml-tools curve my-project.ml.preds thresholds --label label --score p --dialect bigquery
      bqml-tools curve preds.parquet roc --label label --score p --by split --plot roc.png
    """
    from . import evaluation

    engine_options, spec_options = _split_options(options)
    spec = _eval_spec("binary", **spec_options)
    dialect = engine_options["dialect"]
    if plot is not None and (dialect is not None or engine_options["dry_run"]):
        raise BqmlToolsError("--plot draws the rows of a run: drop --dialect/--dry-run, or drop --plot")
    if replace and plot is None:
        raise BqmlToolsError("--replace goes with --plot PATH")
    if plot is not None:
        _check_output(plot, source, replace, option="--plot", suffixes=PLOT_SUFFIXES)
    if dialect is not None:
        reader = _schema_reader(source, dialect, engine_options)
        click.echo(evaluation.curve_query(source, spec, kind, dialect, engine=reader, steps=steps,
                                          bins=bins).sql, nl=False)
        return
    engine = _make_engine(**engine_options)
    if engine_options["dry_run"]:
        _dry_run(engine, evaluation.curve_query(source, spec, kind, engine.dialect, engine=engine, steps=steps,
                                                bins=bins, inline=False))
        return
    frame = evaluation.curve(engine, source, spec, kind, steps=steps, bins=bins)
    if plot is not None:
        _save_plot(kind, natural_order(frame, list(spec.by)), plot, replace)
        click.echo(f"wrote the {kind} plot to {plot}: {_points(frame, list(spec.by))}", err=True)
        if not _given(click.get_current_context(), "fmt"):  # the points too only when --format asks for them
            for warning in frame.attrs.get("warnings", []):
                click.echo(f"warning: {warning}", err=True)
            return
    _emit(frame, engine_options["fmt"], groups=spec.by)


def _hide(command: click.Command, *options: str) -> None:
    """Leave out of ``command --help`` the options it always refuses; given, they are still refused with a
    line saying why, rather than click's bare "no such option"."""
    hidden = [p for p in command.params if isinstance(p, click.Option) and p.opts[0] in options]
    assert len(hidden) == len(options), options
    for param in hidden:
        param.hidden = True


_hide(curve, "--prediction", "--probs", "--top-k", "--threshold")  # a curve is binary; it sweeps the threshold
_hide(compare, "--probs", "--top-k")  # one probabilities column cannot score two models (--top-k needs it)


def _given(ctx: click.Context, name: str) -> bool:
    """Whether the option ``name`` was given on the command line (or by its environment variable)."""
    from click.core import ParameterSource

    return ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)


def _points(frame: Any, groups: list[str]) -> str:
    """``1,234 points``, and per group ``(train 1,000, valid 234)`` when there are groups."""
    total = f"{len(frame):,} point{'s' if len(frame) != 1 else ''}"
    if not groups or frame.empty:
        return total
    import pandas as pd

    counts = natural_order(frame.groupby(groups, dropna=False, sort=False).size().reset_index(name="n"), groups)
    parts = [f"{' '.join('NULL' if pd.isna(v) else str(v) for v in row[:-1])} {row[-1]:,}"
             for row in counts.itertuples(index=False)]
    return f"{total} ({', '.join(parts)})"


PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _save_plot(kind: str, frame: Any, path: str, replace: bool) -> None:
    """Draw ``frame`` with bqml_tools.plots and save it like --output (see ``_save_figure``)."""
    from .plots import CURVE_PLOTS

    _save_figure(CURVE_PLOTS[kind](frame), path, replace)


@cli.command()
@click.argument("source")
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass"]), required=True)
@_apply(eval_options)
@click.option("--split-column", default="split", show_default=True, help="Column naming each row's split.")
@click.option("--train", default="train", show_default=True, help="The training split's name.")
@click.option("--valid", default="valid", show_default=True, help="The split to compare it with.")
@click.option("--underfit-skill", default=0.1, show_default=True, type=Number(), metavar="NUMBER",
              help="Under-fitting when train error removes less than this share of the baseline's.")
@click.option("--overfit-gap", default=0.1, show_default=True, type=Number(), metavar="NUMBER",
              help="Over-fitting when valid error exceeds train error by more than this share of the baseline's.")
@_apply(run_options)
def diagnose(source: str, task: str, split_column: str, train: str, valid: str, underfit_skill: float,
             overfit_gap: float, **options: Any) -> None:
    """Under-fitting, over-fitting or good fit: train vs validation error and a constant baseline.

    The verdict is one of: under-fitting (train error removes less than --underfit-skill of the
    constant predictor's), over-fitting (valid error exceeds train error by more than --overfit-gap
    of the baseline), no skill on validation (valid error no better than a constant predictor on
    the valid rows: valid_skill <= 0), good fit, or undetermined (constant train labels).

    \b
    Examples:
      bqml-tools diagnose preds.parquet --task regression --label y --prediction y_hat
      bqml-tools diagnose preds.parquet --task binary --label label --score p --valid test
    """
    from . import evaluation

    engine_options, spec_options = _split_options(options)
    if engine_options["dialect"] is not None or engine_options["dry_run"]:
        raise BqmlToolsError("diagnose runs `evaluate --by SPLIT_COLUMN`: print or dry-run that command instead")
    spec = _eval_spec(task, **spec_options)
    frame = evaluation.diagnose(_make_engine(**engine_options), source, spec, split_column=split_column,
                                train=train, valid=valid,
                                thresholds=evaluation.Thresholds(underfit_skill, overfit_gap))
    _emit(frame, engine_options["fmt"]) if engine_options["fmt"] != "table" else _emit_verdict(frame)


# diagnose groups by the split column and compares errors, so it never uses these (its spec refuses them)
_hide(diagnose, "--by", "--threshold", "--probs", "--top-k", "--auc", "--bins-per-logit", "--zero-division",
      "--dialect", "--dry-run")


def _emit_verdict(frame: Any) -> None:
    for warning in frame.attrs.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    row = frame.iloc[0]
    click.echo(format_frame(frame.drop(columns=["reason"]), "table"))
    click.echo(f"\n{row['verdict']}: {row['reason']}")


@cli.command()
@click.argument("source")
@click.option("--label", required=True, metavar="COLUMN", help="The true label column (0/1, BOOL, or any with --positive).")
@click.option("--score", required=True, metavar="COLUMN", help="Predicted probability of the positive class.")
@click.option("--target", default=None, metavar="GOAL",
              help="'recall>=X' (the highest threshold that reaches it), 'precision>=X' (the lowest), or f1 "
                   "(the best); quote it: the shell reads > as a redirection.")
@click.option("--cost", default=None, metavar="fp=A,fn=B",
              help="The threshold of the least total cost A * false positives + B * false negatives.")
@click.option("--by", multiple=True, metavar="COLUMN", help="Group by this column (repeatable): one threshold per group.")
@click.option("--positive", default=None, metavar="VALUE", help="The label value that means positive.")
@click.option("--invalid", type=click.Choice(["error", "exclude"]), default="error", show_default=True,
              help="Rows with NULL labels, non-binary labels or scores outside [0, 1]: refuse, or exclude and count.")
@click.option("--search", type=click.Choice(["exact", "binned"]), default=None,
              help="Candidates: logit bins, with a bound (default, on every engine) or every distinct score.")
@click.option("--bins-per-logit", default=None, type=Number(whole=True), metavar="N",
              help="Bin resolution of --search binned (default 10000).")
@click.option("--label-type", default=None, metavar="TYPE",
              help="Label type when printing SQL without reading the source (e.g. BOOL).")
@click.option("--metrics", default=None, metavar="A,B,...",
              help="Print only these columns (with the --by columns), in this order, e.g. threshold,recall,precision.")
@click.option("--weight", default=None, metavar="COLUMN",
              help="Weight of each row (numbers >= 0), as scikit-learn's sample_weight: counts and costs are sums of weights.")
@_apply(run_options)
def threshold(source: str, label: str, score: str, target: str | None, cost: str | None, by: tuple[str, ...],
              positive: str | None, invalid: str, search: str | None, bins_per_logit: int | None,
              label_type: str | None, metrics: str | None, weight: str | None, **options: Any) -> None:
    """The decision threshold of a binary classifier for a target or a cost, with every metric at it.

    \b
    Examples:
      bqml-tools threshold preds.parquet --label label --score p --target 'recall>=0.95'
      bqml-tools threshold preds.parquet --label label --score p --target f1 --by split
      bqml-tools threshold preds.parquet --label label --score p --cost fp=1,fn=20
      bqml-tools threshold my-project.ml.preds --label label --score p --target 'precision>=0.9' --dialect bigquery
    """
    from . import decisions
    from .evaluation import EvalSpec

    engine_options, _ = _split_options(options)
    goal = decisions.goal_of(target, cost)
    if search == "exact" and bins_per_logit is not None:
        raise BqmlToolsError("--bins-per-logit does nothing with --search exact: leave one of them out")
    spec = EvalSpec(task="binary", label=label, score=score, by=by, positive=positive, invalid=invalid,
                    auc=search, bins_per_logit=bins_per_logit, label_type=label_type, weight=weight)
    dialect = engine_options["dialect"]
    if metrics is not None and (dialect is not None or engine_options["dry_run"]):
        raise BqmlToolsError("--metrics chooses the printed columns of a run: drop --dialect/--dry-run, or drop --metrics")
    if dialect is not None:
        reader = _schema_reader(source, dialect, engine_options)
        click.echo(decisions.threshold_query(source, spec, goal, dialect, engine=reader).sql, nl=False)
        return
    engine = _make_engine(**engine_options)
    if engine_options["dry_run"]:
        _dry_run(engine, decisions.threshold_query(source, spec, goal, engine.dialect, engine=engine, inline=False))
        return
    frame = decisions.threshold(engine, source, spec, goal)
    fmt = engine_options["fmt"]
    _emit(frame, fmt, groups=spec.by, metrics=metrics, transpose=True)
    if fmt == "table":
        for row in natural_order(frame, list(spec.by)).to_dict("records"):
            click.echo(decisions.summary(row, goal, spec.by))


@cli.command()
@click.argument("source")
@click.option("--tolerance", default=0.01, show_default=True, type=Number(), metavar="SHARE",
              help="Steps smaller than this share of a loss's range are noise (for over-fitting, oscillation, improvement).")
@click.option("--history", "show_history", is_flag=True, help="Print the history per run and iteration instead.")
@click.option("--plot", default=None, metavar="PATH",
              help="Also draw loss and eval_loss per iteration, best iteration and over-fitting marked, to a .png, "
                   ".svg or .pdf file; needs matplotlib (bqml-tools[plot]); never over an existing file without --replace.")
@click.option("--replace", is_flag=True, help="With --plot: overwrite an existing file.")
@_apply(run_options)
def training(source: str, tolerance: float, show_history: bool, plot: str | None, replace: bool,
             **options: Any) -> None:
    """Read a training history (ML.TRAINING_INFO's columns): best iteration, over-fitting, oscillation, verdict.

    SOURCE has the columns training_run, iteration, loss, eval_loss, learning_rate (training_run,
    eval_loss and learning_rate may be missing), e.g. a table saved from ML.TRAINING_INFO(MODEL ...).

    \b
    Examples:
      bqml-tools training history.parquet
      bqml-tools training history.parquet --plot training.png
      bqml-tools training my-project.ml.model_training_info --engine bigquery --project my-project
    """
    from . import training as reading

    engine_options, _ = _split_options(options)
    dialect = engine_options["dialect"]
    if plot is not None and (dialect is not None or engine_options["dry_run"]):
        raise BqmlToolsError("--plot draws the rows of a run: drop --dialect/--dry-run, or drop --plot")
    if replace and plot is None:
        raise BqmlToolsError("--replace goes with --plot PATH")
    if plot is not None:
        _check_output(plot, source, replace, option="--plot", suffixes=PLOT_SUFFIXES)
    if dialect is not None:
        reader = _schema_reader(source, dialect, engine_options)
        click.echo(reading.training_query(source, dialect, engine=reader).sql, nl=False)
        return
    engine = _make_engine(**engine_options)
    if engine_options["dry_run"]:
        _dry_run(engine, reading.training_query(source, engine.dialect, engine=engine, inline=False))
        return
    frame = reading.diagnose_training(engine, source, tolerance=tolerance)
    if plot is not None:
        from .plots import training as draw

        _save_figure(draw(frame), plot, replace)
        click.echo(f"wrote the training plot to {plot}", err=True)
    fmt = engine_options["fmt"]
    if show_history:
        click.echo(format_frame(frame.attrs["history"], fmt))
        return
    if fmt != "table":
        click.echo(format_frame(frame, fmt))
        return
    click.echo(format_frame(frame.drop(columns=["reason"]), "table"))
    click.echo("")
    for row in frame.to_dict("records"):
        click.echo(f"run {row['training_run']}: {row['verdict']}: {row['reason']}")


def _save_figure(figure: Any, path: str, replace: bool) -> None:
    """Save a drawn figure like --output: a temporary file next to ``path``, renamed into place only
    when complete, never over an existing file without ``replace``; the figure is closed either way."""
    import secrets

    from .engines import _publish

    folder, name = os.path.split(os.path.abspath(path))
    suffix = os.path.splitext(path)[1].lower()
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.tmp{suffix}")
    try:
        figure.savefig(temporary, format=suffix[1:], bbox_inches="tight")
        _publish(temporary, path, replace)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)
        if os.path.lexists(temporary):
            os.unlink(temporary)


@cli.command()
@click.option("--rows", default=200_000, show_default=True, type=Number(whole=True, low=10, high=10_000_000),
              help="Rows in the generated table (10 to 10,000,000).")
@click.option("--save", default=None, metavar="PATH", help="Also write the generated table to a .parquet or .csv file.")
@click.option("--predictions", "predictions_path", default=None, metavar="PATH",
              help="Also write predictions of models fitted on the table's train split (80/10/10 by user): "
                   "columns user_id, day, split, label, p, predicted_label_probs, y, y_hat, plan, predicted_plan, "
                   "plan_probs, p_sessions, country, device. p_sessions is a smaller model, to compare with p.")
def demo(rows: int, save: str | None, predictions_path: str | None) -> None:
    """Make an events table in DuckDB, print the BigQuery split SQL, run it locally.

    \b
    Examples:
      bqml-tools demo
      bqml-tools demo --rows 50000 --save events.parquet --predictions preds.parquet
    """
    from .demo import run_demo

    for path, option in ((save, "--save"), (predictions_path, "--predictions")):
        if path is not None:
            _check_output(path, None, replace=False, option=option)
    if save is not None and predictions_path is not None and os.path.abspath(save) == os.path.abspath(predictions_path):
        raise BqmlToolsError(f"--save and --predictions are both {save}: give two files")
    run_demo(rows, echo=click.echo, save=save, predictions_path=predictions_path)


def _check_output(path: str, source: str | None, replace: bool, option: str = "--output",
                  suffixes: Sequence[str] | None = None) -> None:
    """Refuse, before anything runs, an output that would destroy data or be written in the wrong format."""
    from .engines import output_format

    if suffixes is None:
        output_format(path)
    elif os.path.splitext(path)[1].lower() not in suffixes:
        raise BqmlToolsError(f"{option} {path!r} has an unknown suffix: write {', '.join(suffixes)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BqmlToolsError(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise BqmlToolsError(f"{option} {path}: folder {folder} is not writable")
    if not os.path.lexists(path):
        return
    if source is not None and os.path.exists(source) and os.path.samefile(path, source):
        raise BqmlToolsError(f"{option} {path} is the input file {source}: write the rows to another file")
    if os.path.isdir(path):
        raise BqmlToolsError(f"{option} {path} is a folder: give a file path")
    if not replace:
        hint = "pass --replace to overwrite it" if option in ("--output", "--plot") else "remove it or choose another path"
        raise BqmlToolsError(f"{option} {path} already exists: {hint}")


@cli.command()
@click.argument("source")
@_apply(split_options)
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
@_apply(run_options)
def split(source: str, keys: tuple[str, ...], fractions: str, salt: str | None, sample: str | None,
          buckets: int | None, null_keys: str, stratify: str | None, only_split: str | None,
          split_column: str, key_types: tuple[str, ...], output: str | None, destination: str | None,
          view: bool, per_split: bool, replace: bool, **options: Any) -> None:
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
    """
    from . import splitting

    engine_options, _ = _split_options(options)
    spec = splitting.SplitSpec(
        key=keys, fractions=fractions, salt=salt, sample=sample, buckets=buckets,
        null_keys=null_keys, stratify=stratify, split_column=split_column,
        key_types=_key_types(key_types),
    )
    splitting.check_only_split(spec, only_split)
    if (view or per_split) and destination is None:
        raise BqmlToolsError("--view and --per-split go with --destination TABLE")
    if replace and destination is None and output is None:
        raise BqmlToolsError("--replace goes with --destination TABLE or --output PATH")
    dialect = engine_options["dialect"]
    if output is not None and (dialect is not None or engine_options["dry_run"]):
        raise BqmlToolsError("--output writes the rows of a run: drop --dialect/--dry-run, or drop --output")
    if output is not None:
        _check_output(output, source, replace)
    if dialect is not None:
        reader = _schema_reader(source, dialect, engine_options)
        if destination is not None:
            statements = splitting.materialize_queries(source, spec, destination, dialect, engine=reader,
                                                       view=view, per_split=per_split, replace=replace)
            click.echo(";\n\n".join(q.sql.rstrip() for q in statements) + ";")
            return
        query = splitting.split_query(source, spec, dialect, engine=reader, only_split=only_split)
        click.echo(query.sql, nl=False)
        return
    on_duckdb = (engine_options["engine_name"] or "duckdb") == "duckdb"
    if output is not None and not on_duckdb:
        raise BqmlToolsError("--output writes files from DuckDB; on BigQuery store the split with --destination")
    database = engine_options["database"]
    creates = (destination is not None and on_duckdb and not database.startswith(":memory:")
               and not os.path.exists(database))
    runner = _make_engine(**engine_options, writes=destination is not None and not engine_options["dry_run"])
    try:
        _run_split(runner, source, spec, only_split, stratify, output, destination, view, per_split, replace,
                   engine_options)
    except BaseException:
        if creates:  # a failed --destination run leaves no new database behind
            runner.connection.close()
            for leftover in (database, database + ".wal"):
                if os.path.exists(leftover):
                    os.unlink(leftover)
        raise


def _run_split(runner: Any, source: str, spec: Any, only_split: str | None, stratify: str | None,
               output: str | None, destination: str | None, view: bool, per_split: bool, replace: bool,
               engine_options: dict[str, Any]) -> None:
    from . import splitting

    if engine_options["dry_run"]:
        _dry_run(runner, splitting.split_query(source, spec, runner.dialect, engine=runner,
                                               only_split=only_split, inline=False))
        return
    if destination is not None:
        report = splitting.materialize(runner, source, spec, destination, view=view, per_split=per_split,
                                       replace=replace, refuse_empty=True)
        click.echo(f"stored the split in {destination}{'_<split>' if per_split else ''} "
                   f"({'views' if view else 'tables'})", err=True)
    else:
        report = splitting.split_report(runner, source, spec, only_split=only_split, refuse_empty=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output is not None:
        query = splitting.split_query(source, spec, runner.dialect, engine=runner,
                                      only_split=only_split, inline=False)
        runner.export(query, output, replace=replace)
        rows = report.table["rows"] if only_split is None else report.table.loc[report.table["split"] == only_split,
                                                                                 "rows"]
        click.echo(f"wrote {int(rows.sum()):,} rows{'' if only_split is None else ' of split ' + only_split} "
                   f"to {output}", err=True)
    fmt = engine_options["fmt"]
    table = natural_order(report.table, ["split"])
    click.echo(format_frame(table, fmt))
    if report.strata is not None and fmt == "table":
        strata = _splits_in_natural_order(report.strata, list(table["split"]))
        click.echo(f"\nrows per {stratify} value:\n" + format_frame(strata, fmt))
    for note in _report_notes(report, spec):
        click.echo(note, err=fmt != "table")  # json/csv stay machine-readable on stdout


def _report_notes(report: Any, spec: Any) -> list[str]:
    """What the split table does not show: sampled vs unsampled rows, and NULL-key rows dropped."""
    notes = []
    if spec.plan.sampled:
        kept = int(report.table["rows"].sum())
        notes.append(f"sampled {kept:,} of {kept + report.unsampled_rows:,} rows ({spec.sample} sample of the keys); "
                     f"{report.unsampled_rows:,} rows not sampled")
    if spec.null_policy()[0] == "drop":
        notes.append(f"dropped {report.null_key_rows:,} row(s) with a NULL key (--null-keys drop)")
    return notes


NATURAL_ORDER = ("train", "valid", "test")


def natural_order(frame: Any, columns: Sequence[str]) -> Any:
    """Rows with train, valid, test first (in that order) in each of ``columns``, the rest as they came."""
    if not columns or frame.empty:
        return frame
    rank = {name: i for i, name in enumerate(NATURAL_ORDER)}
    keys = [frame[c].map(lambda v: rank.get(v, len(rank)) if isinstance(v, str) else len(rank)) for c in columns]
    order = sorted(range(len(frame)), key=lambda i: tuple(int(k.iat[i]) for k in keys))
    out = frame.iloc[order].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def _splits_in_natural_order(strata: Any, splits: Sequence[str]) -> Any:
    """The strata table with its per-split columns (``splits``, in natural order) where they were."""
    columns = list(strata.columns)
    named = [c for c in columns if c in splits]
    if not named:
        return strata
    first = columns.index(named[0])
    others = [c for c in columns if c not in named]
    return strata[others[:first] + [c for c in splits if c in named] + others[first:]]


def transposed(frame: Any) -> str:
    """One row as ``metric  value`` lines: names on the left, values right-aligned."""
    import pandas as pd

    def cell(value: Any) -> str:
        if value is None or value is pd.NA:
            return "NULL"
        if isinstance(value, float):
            return "NaN" if math.isnan(value) else f"{value:.6g}"
        return str(value.item() if hasattr(value, "item") else value)

    names = [str(c) for c in frame.columns]
    values = [cell(v) for v in frame.iloc[0]]
    left = max(len("metric"), *map(len, names))
    right = max(len("value"), *map(len, values))
    lines = [f"{'metric':<{left}}  {'value':>{right}}"]
    lines += [f"{n:<{left}}  {v:>{right}}" for n, v in zip(names, values)]
    return "\n".join(lines)


def _refuse_undecodable(args: Sequence[str]) -> None:
    """Refuse an argument that is not UTF-8 (Python keeps its bytes as surrogates).

    BigQuery STRING values are UTF-8, so such bytes have no STRING fingerprint or split; hashing
    them as BYTES would silently disagree with the STRING a Latin-1 terminal user meant.
    """
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(arg)
            raise BqmlToolsError(
                f"argument {raw!r} is not valid UTF-8 (BigQuery STRING values are UTF-8): use a UTF-8 "
                f"terminal, or hash the raw bytes as BYTES with `bqml-tools fingerprint --hex {raw.hex()}`"
            ) from None


def _one_line(message: str) -> str:
    """Every error is one line: click words some on several (``Choose from:\\n\\tregression,...``)."""
    return re.sub(r"\s*\n\s*", " ", message.strip())


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: clean one-line errors, exit status 2."""
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        _refuse_undecodable(args)
        cli.main(args=args, prog_name="bqml-tools", standalone_mode=False)
    except BqmlToolsError as error:
        click.echo(f"Error: {_one_line(str(error))}", err=True)
        sys.exit(2)
    except OSError as error:  # the file system refused (permissions, disk full...): one line, not a traceback
        click.echo(f"Error: {_one_line(str(error))}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        hint = error.ctx.command_path + " --help" if getattr(error, "ctx", None) else "bqml-tools --help"
        click.echo(f"Error: {_one_line(error.format_message())} (see {hint})", err=True)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()

"""The options commands share (split, evaluation, interval and run options), and how they are applied."""
from __future__ import annotations

import re
from typing import Any

import click

from ..present.tables import FORMATS
from .check import CHECK_HELP, SCHEMA_HELP
from .params import Number, Seconds, ThresholdValue, endpoint

DIALECTS = ("bigquery", "duckdb")  # bqml_tools.sql.render.DIALECTS, without importing jinja2

FORMAT_HELP = ("How to print the result on stdout: an aligned table, JSON or CSV (a file written with "
               "--output or --plot takes its format from its suffix).")
WHERE_HELP = ("Only the rows where COLUMN equals VALUE (repeatable, ANDed), e.g. --where split=valid; the value "
              "is typed as the column and bound as a query parameter.")
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


def apply(options: list[Any]) -> Any:
    """Apply a list of click options (a shared group) to a command, in the order listed."""
    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function
    return decorate


eval_options = [
    click.option("--label", required=True, metavar="COLUMN", help="The true label (or target) column."),
    click.option("--prediction", default=None, metavar="COLUMN",
                 help="Predicted value (regression) or class (multiclass)."),
    click.option("--score", default=None, metavar="COLUMN", help="Predicted probability of the positive class (binary)."),
    click.option("--by", multiple=True, metavar="COLUMN", help="Group by this column (repeatable): one row per group."),
    # evaluation options default to None ("not given"): EvalSpec refuses an option the task does not use
    click.option("--threshold", default=None, type=ThresholdValue(), metavar="NUMBER",
                 help="Binary: positive when score >= threshold (default 0.5; 0.5, 1/3 and 50% all work), or "
                      "@FILE: the threshold saved by threshold --save-threshold FILE."),
    click.option("--positive", default=None, metavar="VALUE", help="Binary: the label value that means positive."),
    click.option("--probs", default=None, metavar="COLUMN",
                 help="ARRAY<STRUCT<label, prob>> column (ML.PREDICT's predicted_<label>_probs). Binary: instead "
                      "of --score, the score is the prob of --positive VALUE."),
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
    click.option("--where", multiple=True, metavar="COLUMN=VALUE", help=WHERE_HELP),
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

_LABEL = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")


def job_labels(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """--job-label KEY=VALUE, as BigQuery accepts labels (keys start with a lowercase letter)."""
    labels: dict[str, str] = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not _LABEL.fullmatch(key) or not _LABEL_VALUE.fullmatch(value):
            raise click.BadParameter(f"{text!r} is not KEY=VALUE with a lowercase key (letters, digits, _ and -, "
                                     "starting with a letter) and a value of at most 63 such characters",
                                     param_hint="--job-label")
        labels[key] = value
    return labels


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
                 callback=endpoint, help="BigQuery: API endpoint of an emulator (anonymous credentials), e.g. http://127.0.0.1:9050."),
    click.option("--max-bytes-billed", default=None, type=Number(whole=True, low=1, high=2**63 - 1), metavar="BYTES",
                 help="BigQuery: cap on the bytes billed by all of the command's jobs together (each job gets what is left)."),
    click.option("--job-label", "job_labels", multiple=True, metavar="KEY=VALUE", callback=job_labels,
                 help="BigQuery: a label on every job (repeatable; lowercase letters, digits, _ and -), for billing reports."),
    click.option("--batch", is_flag=True, help="BigQuery: run the jobs at BATCH priority (queued until slots are idle)."),
    click.option("--timeout", default=600.0, type=Seconds(), show_default=True, metavar="SECONDS",
                 help="BigQuery: job timeout (at most 21600), and how long failed jobs are retried; "
                      "an unreachable endpoint fails after at most 60 s."),
    click.option("--dry-run", is_flag=True, help="Validate the query and report the bytes it would process."),
    click.option("--check", is_flag=True, help=CHECK_HELP),
    click.option("--schema", default=None, metavar="COLUMNS|FILE", help=SCHEMA_HELP),
    click.option("--progress/--no-progress", default=None, help="BigQuery: progress bar while downloading."),
    click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help=FORMAT_HELP),
]


ENGINE_KEYS = ("dialect", "engine_name", "database", "project", "location", "api_endpoint",
               "max_bytes_billed", "job_labels", "batch", "timeout", "dry_run", "check", "schema", "progress",
               "fmt")


def split_engine_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The engine and output options (ENGINE_KEYS) apart from the command's own."""
    engine = {k: options.pop(k) for k in ENGINE_KEYS if k in options}
    return engine, options


def eval_spec(task: str, label: str, prediction: str | None, score: str | None, by: tuple[str, ...],
              threshold: float | None, positive: str | None, probs: str | None, top_k: int | None, invalid: str,
              auc: str | None, bins_per_logit: int, zero_division: str, label_type: str | None,
              weight: str | None = None, ci: float | None = None, key: tuple[str, ...] = (),
              partitions: int | None = None, min_slice_rows: int | None = None, where: tuple[str, ...] = ()) -> Any:
    """The EvalSpec of the evaluation options as the CLI passes them (None: not given)."""
    from ..evaluation.spec import EvalSpec

    spec = EvalSpec(task=task, label=label, prediction=prediction, score=score, by=by,
                    threshold=threshold, positive=positive, probs=probs,
                    top_k=top_k, invalid=invalid, auc=auc, bins_per_logit=bins_per_logit,
                    zero_division=zero_division, label_type=label_type, weight=weight, ci=ci, key=key,
                    partitions=partitions, min_slice_rows=min_slice_rows, where=where)
    chosen = getattr(threshold, "chosen", None)
    if chosen is not None:  # --threshold @FILE: only for the model (score) and label it was chosen on
        from .saved import check_same_model

        check_same_model(chosen, label, spec.score_name if spec.task == "binary" else None, positive, repr(threshold))
    return spec


def hide(command: click.Command, *options: str) -> None:
    """Leave out of ``command --help`` the options it always refuses; given, they are still refused with a
    line saying why, rather than click's bare "no such option"."""
    hidden = [p for p in command.params if isinstance(p, click.Option) and p.opts[0] in options]
    assert len(hidden) == len(options), options
    for param in hidden:
        param.hidden = True


def given(ctx: click.Context, name: str) -> bool:
    """Whether the option ``name`` was given on the command line (or by its environment variable)."""
    from click.core import ParameterSource

    return ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)

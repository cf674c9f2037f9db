"""``bqml-tools compare``: two models on the same rows, each metric's difference with a paired interval."""
from __future__ import annotations

from typing import Any

import click

from ..core.options import refusal
from ..errors import BqmlToolsError
from ..present.tables import natural_order
from . import history, run
from .emit import emit
from .history import history_options
from .options import apply, eval_options, eval_spec, hide, run_options, split_engine_options
from .params import Number
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("source")
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass"]), required=True)
@apply(eval_options)
@click.option("--against", default=None, metavar="COLUMN",
              help="The other model's column (a score for binary, a prediction otherwise), read on the same rows.")
@click.option("--against-probs", default=None, metavar="COLUMN",
              help="Binary with --probs: the other model's probabilities array (the prob of --positive is its score).")
@click.option("--ci", default=0.95, show_default=True, type=Number(), metavar="LEVEL",
              help="Level of the paired jackknife interval of each difference.")
@click.option("--key", multiple=True, metavar="COLUMN",
              help="Required: rows are partitioned by FARM_FINGERPRINT of this key (repeatable), the same for both models.")
@click.option("--partitions", default=None, type=Number(whole=True), metavar="K",
              help="Number of jackknife partitions (default 20).")
@click.option("--metrics", default=None, metavar="A,B,...",
              help="Compare only these metrics, in this order, e.g. roc_auc,log_loss.")
@apply(history_options)
@apply(run_options)
def compare(source: str, task: str, against: str | None, against_probs: str | None, metrics: str | None,
            append_to: str | None, model_name: str | None, **options: Any) -> None:
    """Two models on the same rows: each metric's difference (against - first) with a paired interval.

    One scan evaluates both models on the rows valid for both, per jackknife replicate; the interval
    of each difference comes from the same partitions for both models, so what they share cancels.
    The table is followed by one reading per metric: which model is better, or no clear difference.

    \b
    Examples:
      bqml-tools compare preds.parquet --task binary --label label --score p_old --against p_new --key user_id
      bqml-tools compare preds.parquet --task regression --label y --prediction y_old --against y_new --key id --by split
      bqml-tools compare my-project.ml.preds --task binary --label label --score p_old --against p_new --key id --dialect bigquery
      bqml-tools compare preds.parquet --task binary --label y --probs probs_a --against-probs probs_b --positive yes --key id
    """
    from ..evaluation.comparison import NEEDS_KEY, compare as compare_models, compare_query

    engine_options, spec_options = split_engine_options(options)
    if not spec_options["key"]:
        raise refusal(NEEDS_KEY)
    spec = eval_spec(task, **spec_options)
    against = _against(spec.probs, against, against_probs)
    run.run_only(engine_options, metrics=None if metrics is None else "chooses the compared metrics")
    writes = history.check(append_to, model_name, engine_options)
    engine = run.statement(source, engine_options, lambda dialect, reader, inline: compare_query(
        source, spec, against, dialect, engine=reader, inline=inline), writes=writes)
    if engine is None:
        return
    frame = compare_models(engine, source, spec, against, metrics=metrics)
    if append_to is not None:
        history.append_result(frame, spec, append_to=append_to, model_name=model_name or "", command="compare",
                              source=source, engine=engine, against=against)
    fmt = engine_options["fmt"]
    if fmt != "table":
        emit(frame, fmt, groups=spec.by)
        return
    table = frame.drop(columns=["reading"])
    table.attrs = dict(frame.attrs)
    emit(table, fmt, groups=spec.by)
    click.echo("")
    for line in natural_order(frame, list(spec.by))["reading"]:
        click.echo(line)


def _against(probs: str | None, against: str | None, against_probs: str | None) -> str:
    """The other model's column: --against, or --against-probs with --probs (binary)."""
    if against is not None and against_probs is not None:
        raise BqmlToolsError("--against and --against-probs both name the other model: give one of them")
    if probs is not None:
        if against_probs is None:
            raise BqmlToolsError(f"--probs {probs} reads the first model's probabilities: name the other model's "
                                 "array with --against-probs COLUMN")
        return against_probs
    if against_probs is not None:
        raise BqmlToolsError("--against-probs needs --probs COLUMN --positive VALUE for the first model")
    if against is None:
        raise BqmlToolsError("compare needs --against COLUMN: the other model's column (or --against-probs with --probs)")
    return against


hide(compare, "--top-k")  # --top-k needs --probs, which multiclass compare refuses

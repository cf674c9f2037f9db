"""``bqml-tools compare``: two models on the same rows, each metric's difference with a paired interval."""
from __future__ import annotations

from typing import Any

import click

from ..core.options import refusal
from ..present.tables import natural_order
from . import run
from .emit import emit
from .options import apply, eval_options, eval_spec, hide, run_options, split_engine_options
from .params import Number
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("source")
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass"]), required=True)
@apply(eval_options)
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
@apply(run_options)
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
    from ..evaluation.comparison import NEEDS_KEY, compare as compare_models, compare_query

    engine_options, spec_options = split_engine_options(options)
    if not spec_options["key"]:
        raise refusal(NEEDS_KEY)
    spec = eval_spec(task, **spec_options)
    run.run_only(engine_options, metrics=None if metrics is None else "chooses the compared metrics")
    engine = run.statement(source, engine_options, lambda dialect, reader, inline: compare_query(
        source, spec, against, dialect, engine=reader, inline=inline))
    if engine is None:
        return
    frame = compare_models(engine, source, spec, against, metrics=metrics)
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


hide(compare, "--probs", "--top-k")  # one probabilities column cannot score two models (--top-k needs it)

"""``bqml-tools threshold``: the decision threshold for a target or a cost, with every metric at it."""
from __future__ import annotations

from typing import Any

import click

from ..errors import BqmlToolsError
from ..present.tables import natural_order
from . import run
from .emit import emit
from .options import apply, run_options, split_engine_options
from .params import Number
from .strict import StrictCommand


@click.command(cls=StrictCommand)
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
@apply(run_options)
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
    from ..evaluation import decisions
    from ..evaluation.spec import EvalSpec

    engine_options, _ = split_engine_options(options)
    goal = decisions.goal_of(target, cost)
    if search == "exact" and bins_per_logit is not None:
        raise BqmlToolsError("--bins-per-logit does nothing with --search exact: leave one of them out")
    spec = EvalSpec(task="binary", label=label, score=score, by=by, positive=positive, invalid=invalid,
                    auc=search, bins_per_logit=bins_per_logit, label_type=label_type, weight=weight)
    run.run_only(engine_options, metrics=None if metrics is None else "chooses the printed columns")
    engine = run.statement(source, engine_options, lambda dialect, reader, inline: decisions.threshold_query(
        source, spec, goal, dialect, engine=reader, inline=inline))
    if engine is None:
        return
    frame = decisions.threshold(engine, source, spec, goal)
    fmt = engine_options["fmt"]
    emit(frame, fmt, groups=spec.by, metrics=metrics, transpose=True)
    if fmt == "table":
        for row in natural_order(frame, list(spec.by)).to_dict("records"):
            click.echo(decisions.summary(row, goal, spec.by))

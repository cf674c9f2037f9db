"""``bqml-tools threshold``: the decision threshold for a target or a cost, with every metric at it."""
from __future__ import annotations

from typing import Any

import click

from ..errors import BqmlToolsError
from ..present.tables import natural_order
from . import run
from .emit import emit
from .files import check_output
from .options import WHERE_HELP, apply, run_options, split_engine_options
from .params import Number
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("source")
@click.option("--label", required=True, metavar="COLUMN", help="The true label column (0/1, BOOL, or any with --positive).")
@click.option("--score", default=None, metavar="COLUMN", help="Predicted probability of the positive class.")
@click.option("--probs", default=None, metavar="COLUMN",
              help="Instead of --score: ML.PREDICT's predicted_<label>_probs array; the score is the prob of --positive.")
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
@click.option("--where", multiple=True, metavar="COLUMN=VALUE", help=WHERE_HELP)
@click.option("--save-threshold", default=None, metavar="FILE.json",
              help="Also write the chosen threshold (the exact double) and what it was chosen on to this file, "
                   "for evaluate --threshold @FILE on other rows (one group: choose it with --where, not --by).")
@click.option("--replace", is_flag=True, help="With --save-threshold: overwrite an existing file.")
@apply(run_options)
def threshold(source: str, label: str, score: str | None, probs: str | None, target: str | None, cost: str | None, by: tuple[str, ...],
              positive: str | None, invalid: str, search: str | None, bins_per_logit: int | None,
              label_type: str | None, metrics: str | None, weight: str | None, where: tuple[str, ...],
              save_threshold: str | None, replace: bool, **options: Any) -> None:
    """The decision threshold of a binary classifier for a target or a cost, with every metric at it.

    \b
    Examples:
      bqml-tools threshold preds.parquet --label label --score p --target 'recall>=0.95'
      bqml-tools threshold preds.parquet --label label --score p --target f1 --by split
      bqml-tools threshold preds.parquet --label label --score p --cost fp=1,fn=20
      bqml-tools threshold my-project.ml.preds --label label --score p --target 'precision>=0.9' --dialect bigquery
      bqml-tools threshold preds.parquet --label label --score p --target 'recall>=0.95' --where split=valid \
          --save-threshold t.json   # then: evaluate ... --where split=test --threshold @t.json
    """
    from ..evaluation import decisions
    from ..evaluation.spec import EvalSpec

    engine_options, _ = split_engine_options(options)
    goal = decisions.goal_of(target, cost)
    if search == "exact" and bins_per_logit is not None:
        raise BqmlToolsError("--bins-per-logit does nothing with --search exact: leave one of them out")
    spec = EvalSpec(task="binary", label=label, score=score, probs=probs, by=by, positive=positive, invalid=invalid,
                    auc=search, bins_per_logit=bins_per_logit, label_type=label_type, weight=weight, where=where)
    run.run_only(engine_options, metrics=None if metrics is None else "chooses the printed columns",
                 save_threshold=None if save_threshold is None else "saves the threshold")
    if replace and save_threshold is None:
        raise BqmlToolsError("--replace goes with --save-threshold FILE")
    if save_threshold is not None:
        if by:
            raise BqmlToolsError("--save-threshold keeps one threshold: choose it on one group with --where "
                                 f"(e.g. --where {by[0]}=valid) instead of --by")
        check_output(save_threshold, source, replace, option="--save-threshold", suffixes=(".json",))
    engine = run.statement(source, engine_options, lambda dialect, reader, inline: decisions.threshold_query(
        source, spec, goal, dialect, engine=reader, inline=inline))
    if engine is None:
        return
    frame = decisions.threshold(engine, source, spec, goal)
    if save_threshold is not None:
        save_threshold_file(save_threshold, frame, spec, goal, source, replace)
    fmt = engine_options["fmt"]
    emit(frame, fmt, groups=spec.by, metrics=metrics, transpose=True)
    if fmt == "table":
        for row in natural_order(frame, list(spec.by)).to_dict("records"):
            click.echo(decisions.summary(row, goal, spec.by))


def save_threshold_file(path: str, frame: Any, spec: Any, goal: Any, source: str, replace: bool) -> None:
    """--save-threshold: the one chosen threshold and what it was chosen on."""
    from .saved import save_threshold

    chosen_on = {"goal": str(goal), "label": spec.label, "score": spec.score_name,
                 "positive": spec.positive, "source": source, "where": {c: v for c, v in spec.where}}
    save_threshold(path, frame.iloc[0].to_dict(), chosen_on, replace)
    from ..core.plan import shortest_text

    click.echo(f"saved threshold {shortest_text(frame['threshold'].iloc[0])} to {path}: evaluate ... --threshold @{path}",
               err=True)

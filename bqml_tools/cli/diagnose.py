"""``bqml-tools diagnose``: under-fitting, over-fitting or good fit, from train vs validation error."""
from __future__ import annotations

from typing import Any

import click

from ..errors import BqmlToolsError
from ..present.tables import format_frame
from . import run
from .emit import emit
from .options import apply, eval_options, eval_spec, hide, run_options, split_engine_options
from .params import Number
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("source")
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass"]), required=True)
@apply(eval_options)
@click.option("--split-column", default="split", show_default=True, help="Column naming each row's split.")
@click.option("--train", default="train", show_default=True, help="The training split's name.")
@click.option("--valid", default="valid", show_default=True, help="The split to compare it with.")
@click.option("--underfit-skill", default=0.1, show_default=True, type=Number(), metavar="NUMBER",
              help="Under-fitting when train error removes less than this share of the baseline's.")
@click.option("--overfit-gap", default=0.1, show_default=True, type=Number(), metavar="NUMBER",
              help="Over-fitting when valid error exceeds train error by more than this share of the baseline's.")
@apply(run_options)
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
    from ..evaluation import diagnosis as reading

    engine_options, spec_options = split_engine_options(options)
    if engine_options["dialect"] is not None or engine_options["dry_run"] or engine_options["check"] \
            or engine_options["schema"] is not None:
        raise BqmlToolsError("diagnose runs `evaluate --by SPLIT_COLUMN`: print or dry-run that command instead")
    spec = eval_spec(task, **spec_options)
    frame = reading.diagnose(run.make_engine(**engine_options), source, spec, split_column=split_column,
                             train=train, valid=valid, thresholds=reading.Thresholds(underfit_skill, overfit_gap))
    emit(frame, engine_options["fmt"]) if engine_options["fmt"] != "table" else emit_verdict(frame)


# diagnose groups by the split column and compares errors, so it never uses these (its spec refuses them)
hide(diagnose, "--by", "--threshold", "--top-k", "--auc", "--bins-per-logit", "--zero-division",
     "--dialect", "--dry-run", "--check", "--schema")


def emit_verdict(frame: Any) -> None:
    """The diagnosis table, then the verdict and its reason on a line of their own."""
    for warning in frame.attrs.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    row = frame.iloc[0]
    click.echo(format_frame(frame.drop(columns=["reason"]), "table"))
    click.echo(f"\n{row['verdict']}: {row['reason']}")

"""``bqml-tools curve``: ROC, PR, threshold sweep or calibration table of a binary classifier, per group."""
from __future__ import annotations

from typing import Any

import click

from ..present.tables import natural_order
from . import run
from .emit import emit, points
from .files import check_plot, save_plot
from .options import apply, eval_options, eval_spec, given, hide, run_options, split_engine_options
from .params import Number
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("source")
@click.argument("kind", type=click.Choice(["roc", "pr", "thresholds", "calibration"]))
@apply(eval_options)
@click.option("--steps", default=100, show_default=True, type=Number(whole=True), metavar="N",
              help="thresholds: 0, 1/steps, ..., 1.")
@click.option("--bins", default=10, show_default=True, type=Number(whole=True), metavar="N",
              help="calibration: equal-width bins on [0, 1].")
@click.option("--plot", default=None, metavar="PATH",
              help="Also draw the curve (one line per group) to a .png, .svg or .pdf file; needs matplotlib "
                   "(bqml-tools[plot]); never over an existing file without --replace.")
@click.option("--replace", is_flag=True, help="With --plot: overwrite an existing file.")
@click.option("--names", type=click.Choice(["bqml-tools", "bigquery-ml"]), default="bqml-tools", show_default=True,
              help="roc: bqml-tools' columns, or BigQuery ML.ROC_CURVE's (recall, false_positive_rate, true_positives, ...).")
@apply(run_options)
def curve(source: str, kind: str, steps: int, bins: int, plot: str | None, replace: bool, names: str,
          **options: Any) -> None:
    """ROC or PR curve, threshold sweep, or calibration table of a binary classifier, per group.

    \b
    Examples:
      bqml-tools curve preds.parquet roc --label label --score p
      bqml-tools curve preds.parquet calibration --label label --score p --bins 20 --format json
      bqml-tools curve my-project.ml.preds thresholds --label label --score p --dialect bigquery
      bqml-tools curve preds.parquet roc --label label --score p --by split --plot roc.png
    """
    from ..evaluation import curves

    engine_options, spec_options = split_engine_options(options)
    spec = eval_spec("binary", **spec_options)
    run.run_only(engine_options, plot=None if plot is None else "draws the rows")
    check_plot(plot, replace, source)
    if names == "bigquery-ml" and (kind != "roc" or plot is not None):
        from ..errors import BqmlToolsError

        raise BqmlToolsError("--names bigquery-ml is for curve roc (ML.ROC_CURVE's columns), without --plot")
    engine = run.statement(source, engine_options, lambda dialect, reader, inline: curves.curve_query(
        source, spec, kind, dialect, engine=reader, steps=steps, bins=bins, inline=inline))
    if engine is None:
        return
    frame = curves.curve(engine, source, spec, kind, steps=steps, bins=bins)
    if plot is not None:
        save_plot(kind, natural_order(frame, list(spec.by)), plot, replace)
        click.echo(f"wrote the {kind} plot to {plot}: {points(frame, list(spec.by))}", err=True)
        if not given(click.get_current_context(), "fmt"):  # the points too only when --format asks for them
            for warning in frame.attrs.get("warnings", []):
                click.echo(f"warning: {warning}", err=True)
            return
    if names == "bigquery-ml":
        from ..evaluation.names import ml_roc_curve

        frame = ml_roc_curve(frame, spec.by)
    emit(frame, engine_options["fmt"], groups=spec.by)


hide(curve, "--prediction", "--top-k", "--threshold")  # a curve is binary; it sweeps the threshold

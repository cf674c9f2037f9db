"""``bqml-tools training``: read a training history (ML.TRAINING_INFO): best iteration, over-fitting, verdict."""
from __future__ import annotations

from typing import Any

import click

from ..present.tables import format_frame
from . import run
from .files import check_plot, save_figure
from .options import apply, run_options, split_engine_options
from .params import Number
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("source", required=False)
@click.option("--model", default=None, metavar="PROJECT.DATASET.MODEL",
              help="BigQuery ML: read ML.TRAINING_INFO(MODEL ...) of this model instead of a SOURCE table "
                   "(print it with --dialect bigquery, run it with --engine bigquery).")
@click.option("--tolerance", default=0.01, show_default=True, type=Number(), metavar="SHARE",
              help="Steps smaller than this share of a loss's range are noise (for over-fitting, oscillation, improvement).")
@click.option("--history", "show_history", is_flag=True, help="Print the history per run and iteration instead.")
@click.option("--plot", default=None, metavar="PATH",
              help="Also draw loss and eval_loss per iteration, best iteration and over-fitting marked, to a .png, "
                   ".svg or .pdf file; needs matplotlib (bqml-tools[plot]); never over an existing file without --replace.")
@click.option("--replace", is_flag=True, help="With --plot: overwrite an existing file.")
@apply(run_options)
def training(source: str | None, model: str | None, tolerance: float, show_history: bool, plot: str | None, replace: bool,
             **options: Any) -> None:
    """Read a training history (ML.TRAINING_INFO's columns): best iteration, over-fitting, oscillation, verdict.

    SOURCE has the columns training_run, iteration, loss, eval_loss, learning_rate (training_run,
    eval_loss and learning_rate may be missing), e.g. a table saved from ML.TRAINING_INFO(MODEL ...).

    \b
    Examples:
      bqml-tools training history.parquet
      bqml-tools training history.parquet --plot training.png
      bqml-tools training my-project.ml.model_training_info --engine bigquery --project my-project
      bqml-tools training --model my-project.ml.churn --engine bigquery --project my-project
    """
    from ..evaluation import training as reading

    engine_options, _ = split_engine_options(options)
    source = model_source(source, model, engine_options)
    run.run_only(engine_options, plot=None if plot is None else "draws the rows")
    check_plot(plot, replace, source)
    engine = run.statement(source, engine_options, lambda dialect, reader, inline: reading.training_query(
        source, dialect, engine=reader, inline=inline))
    if engine is None:
        return
    frame = reading.diagnose_training(engine, source, tolerance=tolerance)
    if plot is not None:
        from ..present.plots import training as draw

        save_figure(draw(frame), plot, replace)
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


def model_source(source: str | None, model: str | None, engine_options: dict[str, Any]) -> str:
    """SOURCE, or with --model the query SELECT * FROM ML.TRAINING_INFO(MODEL `model`) (BigQuery only)."""
    from ..errors import BqmlToolsError

    if (source is None) == (model is None):
        raise BqmlToolsError("training reads a SOURCE table or --model PROJECT.DATASET.MODEL: give one of them")
    if model is None:
        return source  # type: ignore[return-value]
    from ..evaluation.training import training_info_query

    on_bigquery = engine_options["dialect"] == "bigquery" or (
        engine_options["dialect"] is None and engine_options["engine_name"] == "bigquery")
    if not on_bigquery:
        raise BqmlToolsError("--model reads ML.TRAINING_INFO, which is BigQuery ML: print it with --dialect bigquery "
                             "or run it with --engine bigquery")
    return training_info_query(model)

"""``bqml-tools demo``: an events table in DuckDB, the BigQuery split SQL, and the split run locally."""
from __future__ import annotations

import os

import click

from ..errors import BqmlToolsError
from .files import check_output
from .params import Number
from .strict import StrictCommand


@click.command(cls=StrictCommand)
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
    from ..demo import run_demo

    for path, option in ((save, "--save"), (predictions_path, "--predictions")):
        if path is not None:
            check_output(path, None, replace=False, option=option)
    if save is not None and predictions_path is not None and os.path.abspath(save) == os.path.abspath(predictions_path):
        raise BqmlToolsError(f"--save and --predictions are both {save}: give two files")
    run_demo(rows, echo=click.echo, save=save, predictions_path=predictions_path)

"""``bqml-tools evaluate``: the metrics of a predictions table, per group, with intervals and slices."""
from __future__ import annotations

from typing import Any, Sequence

import click

from ..errors import BqmlToolsError
from . import history, run
from .emit import emit
from .history import history_options
from .options import apply, eval_options, eval_spec, interval_options, run_options, split_engine_options
from .strict import StrictCommand


@click.command(cls=StrictCommand)
@click.argument("source")
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass"]), required=True)
@apply(eval_options)
@apply(interval_options)
@click.option("--view", type=click.Choice(["metrics", "classes", "confusion"]), default="metrics",
              show_default=True, help="Multiclass: the metrics, per-class rows, or the confusion matrix.")
@click.option("--metrics", default=None, metavar="A,B,...",
              help="Print only these columns (with the --by columns), in this order, e.g. rows,roc_auc,log_loss.")
@click.option("--names", type=click.Choice(["bqml-tools", "bigquery-ml"]), default="bqml-tools", show_default=True,
              help="Column names: bqml-tools' metrics, or BigQuery ML.EVALUATE's columns under its names.")
@apply(history_options)
@apply(run_options)
def evaluate(source: str, task: str, view: str, metrics: str | None, names: str, append_to: str | None,
             model_name: str | None, **options: Any) -> None:
    """Metrics of a predictions table computed in SQL, in one scan, per group.

    \b
    Examples:
      bqml-tools evaluate preds.parquet --task binary --label label --score p --by split
      bqml-tools evaluate my-project.ml.preds --task regression --label y --prediction y_hat --dialect bigquery
      bqml-tools evaluate preds.csv --task multiclass --label y --prediction y_hat --view confusion
      bqml-tools evaluate preds.parquet --task binary --label label --score p --by split --ci 0.95 --key user_id
    """
    from ..evaluation import metrics as evaluation

    engine_options, spec_options = split_engine_options(options)
    spec = eval_spec(task, **spec_options)
    run.run_only(engine_options, metrics=None if metrics is None else "chooses the printed columns")
    writes = history.check(append_to, model_name, engine_options)
    if append_to is not None and (view != "metrics" or spec.min_slice_rows is not None):
        raise BqmlToolsError("--append-to keeps the metrics: leave --view and --min-slice-rows out")
    engine = run.statement(source, engine_options, lambda dialect, reader, inline: evaluation.evaluate_query(
        source, spec, dialect, engine=reader, view=view, inline=inline), writes=writes)
    if engine is None:
        return
    frame = evaluation.evaluate(engine, source, spec, view=view)
    if append_to is not None:
        history.append_result(frame, spec, append_to=append_to, model_name=model_name or "", command="evaluate",
                              source=source, engine=engine)
    if names == "bigquery-ml":
        from ..evaluation.names import ml_evaluate

        if view != "metrics" or spec.min_slice_rows is not None:
            raise BqmlToolsError("--names bigquery-ml renames the metrics: leave --view and --min-slice-rows out")
        frame = ml_evaluate(frame, spec.task, spec.by, spec.threshold)
    if spec.min_slice_rows is not None:
        emit_slices(frame, engine_options["fmt"], spec.by, metrics)
        return
    emit(frame, engine_options["fmt"], groups=spec.by, metrics=metrics, transpose=True)


def emit_slices(frame: Any, fmt: str, by: Sequence[str], metrics: str | None) -> None:
    """evaluate --min-slice-rows: the whole's line first (with --ci; on stderr for json and csv, so that
    stdout stays one document), then the slices, each with its `slice` status (and worse_than_whole)."""
    from ..evaluation.slices import whole_line

    if "whole" in frame.attrs:
        chosen = None if metrics is None else [m.strip() for m in metrics.split(",")]
        click.echo(whole_line(frame.attrs["whole"], chosen), err=fmt != "table")
    if metrics is not None:
        wanted = [m.strip() for m in metrics.split(",")]
        extra = [c for c in ("slice", "worse_than_whole") if c in frame.columns and c not in wanted]
        metrics = ",".join(extra + wanted)
    emit(frame, fmt, groups=by, metrics=metrics)

"""Read a training history: best iteration, over-fitting, oscillation, and a verdict per run.

The history has ``ML.TRAINING_INFO``'s shape: ``training_run, iteration, loss, eval_loss,
learning_rate`` (any table or file with those columns; ``training_run``, ``eval_loss`` and
``learning_rate`` may be missing: one run, no validation, no rate). One statement
(``evaluate/training.sql``) reads it once and returns one row per run and iteration; the
diagnosis below runs on that small result. Per run:

- ``best_iteration``: the iteration of the lowest ``eval_loss`` (the earliest on ties); NULL
  without validation (``eval_loss`` all NULL).
- ``overfit_from_iteration``: the first iteration after which ``eval_loss`` stays above its
  minimum by more than ``tolerance`` (a share of the run's ``eval_loss`` range) to the end, while
  the training ``loss`` still falls by more than ``tolerance`` of its range over those iterations.
- ``oscillating``: the loss changes direction at least ``OSCILLATION_CHANGES`` times between steps
  larger than ``tolerance`` of its range: the learning rate is too high (the suggestion is half).
- ``gap``: ``(final_eval_loss - final_loss) / |final_eval_loss|``; a converged run whose gap
  exceeds ``GAP`` (10%) is said to fit train better than it generalises.
- The trend at the end: a least-squares line through the last tenth of the iterations (at least
  ``MIN_ITERATIONS`` of them), its change over that window as a share of the loss's range.
- ``verdict``, in this order: ``too short`` (fewer than ``MIN_ITERATIONS`` iterations),
  ``oscillating``, ``diverging`` (the training loss rises: it ends above where it started, or rises
  over the window by more than ``tolerance`` of its range; the suggestion is a tenth of the rate),
  ``over-fitting``, ``still improving`` (the validation loss, or the training loss without
  validation, falls over the window by more than ``tolerance`` of its range, and at its last step
  by more than that step's share of it), ``unclear`` (the validation loss rises over the window
  while the training loss does not fall), else ``converged`` (it levels off: it changes by no more
  than ``tolerance`` of its range over the window, or has stopped falling at its last step);
  ``reason`` says why, with the numbers. No history is called converged without levelling off.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

from ..core import identifiers
from ..core.options import refusal
from ..engines.base import Engine, require
from ..engines.schema import source_schema
from ..errors import BqmlToolsError, UnknownColumn
from ..sql.render import Query, render
from .checks import NUMERIC, attach
from .context import as_source

COLUMNS = ("training_run", "iteration", "loss", "eval_loss", "learning_rate")
REQUIRED = ("iteration", "loss")
DEFAULT_TOLERANCE = 0.01
MIN_ITERATIONS = 3
OSCILLATION_CHANGES = 3
GAP = 0.1
SUMMARY_COLUMNS = ("training_run", "iterations", "final_loss", "final_eval_loss", "gap", "best_iteration", "best_eval_loss",
                   "overfit_from_iteration", "loss_direction_changes", "oscillating", "learning_rate",
                   "suggested_learning_rate", "verdict", "reason")


def _check_tolerance(tolerance: Any) -> float:
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not math.isfinite(tolerance) \
            or not 0 <= tolerance < 1:
        raise refusal(f"[[tolerance]] {tolerance!r} must be a number from 0 to below 1 (a share of the loss range)")
    return float(tolerance)


def training_info_query(model: str) -> str:
    """The query source that reads a BigQuery ML model's history: ``SELECT * FROM ML.TRAINING_INFO(MODEL `m`)``
    (the model name validated as a table name is)."""
    try:
        parsed = identifiers.source(model)
    except BqmlToolsError:
        parsed = identifiers.Source()
    if parsed.is_file or parsed.is_query or parsed.is_frame or len(parsed.parts) < 2:
        raise refusal(f"[[model]] {model!r}: name the model as dataset.model or project.dataset.model")
    return f"SELECT * FROM ML.TRAINING_INFO(MODEL `{'.'.join(parsed.parts)}`)"


def training_query(source: str | identifiers.Source, dialect: str, *, engine: Engine | None = None,
                   schema: Mapping[str, str] | None = None, inline: bool = True) -> Query:
    """The statement returning the history per run and iteration (all columns assumed present
    when neither ``engine`` nor ``schema`` tells which are there)."""
    src = as_source(source)
    if schema is None and engine is not None:
        schema = source_schema(engine, src)
    present = set(COLUMNS) if schema is None else {c.lower() for c in schema}
    if schema is not None:
        identifiers.refuse_reserved(schema, "the source")
        by_name = {c.lower(): t for c, t in schema.items()}
        missing = [c for c in REQUIRED if c not in by_name]
        if missing:
            raise UnknownColumn(f"a training history needs column(s) {', '.join(missing)} (ML.TRAINING_INFO's "
                                f"training_run, iteration, loss, eval_loss, learning_rate); the source has: "
                                f"{', '.join(schema) or '(no columns)'}")
        for column in ("training_run", "iteration", "loss", "eval_loss", "learning_rate"):
            if column in by_name and not NUMERIC.match(by_name[column]):
                raise BqmlToolsError(f"column {column} is {by_name[column]}: a training history holds numbers there")
    header = [f"bqml_tools training history of {src}: one row per training_run and iteration; one scan"]
    return render("evaluate/training.sql", dialect, inline=inline, src=src, header_lines=header,
                  has_run="training_run" in present, has_eval="eval_loss" in present,
                  has_learning_rate="learning_rate" in present)


def history(engine: Engine, source: str | identifiers.Source) -> pd.DataFrame:
    """The history, one row per run and iteration, checked: no NULL iteration or run, no iteration
    twice, no NULL, NaN or infinite loss, no NaN or infinite eval_loss (NULL: no validation)."""
    src = as_source(source)
    require(engine, Engine, "diagnose_training")
    frame = engine.run(training_query(src, engine.dialect, engine=engine, inline=False))
    if frame.empty:
        raise BqmlToolsError(f"no rows in {src}: the training history is empty")
    problems = []
    if frame["iteration"].isna().any() or frame["training_run"].isna().any():
        problems.append("row(s) have a NULL training_run or iteration")
    twice = frame.loc[frame["copies"] > 1]
    if len(twice):
        first = {c: twice[c].iloc[0] for c in ("training_run", "iteration", "copies")}  # each in its own dtype
        problems.append(f"{len(twice):,} iteration(s) appear more than once (run {first['training_run']}, "
                        f"iteration {first['iteration']}: {first['copies']} rows)")
    for column, what in (("invalid_loss", "a NULL, NaN or infinite loss"), ("invalid_eval", "a NaN or infinite eval_loss")):
        count = int(frame[column].sum())
        if count:
            problems.append(f"{count:,} row(s) have {what}")
    if problems:
        raise BqmlToolsError(f"{src} is not a usable training history: {'; '.join(problems)}")
    return frame.drop(columns=["copies", "invalid_loss", "invalid_eval"]).reset_index(drop=True)


def _direction_changes(losses: list[float], tolerance: float) -> int:
    """How often the loss changes direction between steps larger than ``tolerance`` of its range."""
    span = max(losses) - min(losses)
    signs = [1 if b > a else -1 for a, b in zip(losses, losses[1:]) if abs(b - a) > tolerance * span and span > 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def _window(iterations: list[int]) -> int:
    """How many of the last iterations the trend at the end is read over: a tenth, at least MIN_ITERATIONS."""
    return min(len(iterations), max(MIN_ITERATIONS, math.ceil(len(iterations) / 10)))


def _end_change(iterations: list[int], values: list[float]) -> float:
    """The change of ``values`` over the last _window iterations along their least-squares line."""
    k = _window(iterations)
    xs, ys = iterations[-k:], values[-k:]
    mean_x, mean_y = sum(xs) / k, sum(ys) / k
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread
    return slope * (xs[-1] - xs[0])


def _overfit_from(iterations: list[int], losses: list[float], evals: list[float], tolerance: float) -> int | None:
    """The first iteration after which eval_loss stays above its minimum (by more than tolerance of
    its range) to the end, while the training loss still falls over those iterations."""
    lowest, span = min(evals), max(evals) - min(evals)
    near = [i for i, e in enumerate(evals) if e <= lowest + tolerance * span]
    last_good = near[-1]
    if last_good == len(evals) - 1:
        return None
    loss_span = max(losses) - min(losses)
    if losses[-1] < losses[last_good] - tolerance * loss_span:
        return iterations[last_good + 1]
    return None


def _one_run(run: Any, rows: pd.DataFrame, tolerance: float) -> dict[str, Any]:
    rows = rows.sort_values("iteration")
    iterations = [int(i) for i in rows["iteration"]]
    losses = [float(v) for v in rows["loss"]]
    evals_raw = rows["eval_loss"]
    has_eval = bool(evals_raw.notna().any())
    rate = rows["learning_rate"].dropna()
    learning_rate = float(rate.iloc[-1]) if len(rate) else math.nan
    out: dict[str, Any] = {"training_run": run, "iterations": len(iterations), "final_loss": losses[-1],
                           "final_eval_loss": float(evals_raw.iloc[-1]) if pd.notna(evals_raw.iloc[-1]) else math.nan,
                           "gap": math.nan,
                           "best_iteration": None, "best_eval_loss": math.nan, "overfit_from_iteration": None,
                           "loss_direction_changes": 0, "oscillating": False, "learning_rate": learning_rate,
                           "suggested_learning_rate": math.nan}
    if has_eval:
        if evals_raw.isna().any():
            raise BqmlToolsError(f"run {run}: eval_loss is NULL at some iterations but not others; a history has "
                                 "a validation loss at every iteration or at none")
        evals = [float(v) for v in evals_raw]
        best = min(range(len(evals)), key=lambda i: (evals[i], i))
        out.update(best_iteration=iterations[best], best_eval_loss=evals[best])
        if evals[-1] != 0:  # how far validation sits above training at the end, as a share of it
            out["gap"] = (evals[-1] - losses[-1]) / abs(evals[-1])
    if len(iterations) < MIN_ITERATIONS:
        out.update(verdict="too short", reason=f"{len(iterations)} iteration(s): at least {MIN_ITERATIONS} are needed "
                                                "to see a trend")
        return out
    changes = _direction_changes(losses, tolerance)
    out.update(loss_direction_changes=changes, oscillating=changes >= OSCILLATION_CHANGES)
    if has_eval:
        out["overfit_from_iteration"] = _overfit_from(iterations, losses, evals, tolerance)
    tracked, name = (evals, "eval_loss") if has_eval else (losses, "loss")
    span = max(tracked) - min(tracked)
    loss_span = max(losses) - min(losses)
    window = _window(iterations)
    change, loss_change = _end_change(iterations, tracked), _end_change(iterations, losses)
    over_window = f"over the last {window} iterations ({iterations[-window]} to {iterations[-1]})"
    no_eval = "" if has_eval else " (no validation loss: eval_loss is NULL, so only the training loss is read)"
    rising = losses[-1] - losses[0] > tolerance * loss_span or loss_change > tolerance * loss_span
    if out["oscillating"]:
        rate_text = (f"lower the learning rate (now {learning_rate:.6g}; try {learning_rate / 2:.6g})"
                     if not math.isnan(learning_rate) else "lower the learning rate")
        out.update(suggested_learning_rate=learning_rate / 2, verdict="oscillating",
                   reason=f"the loss changes direction {changes} times between steps larger than {tolerance:.0%} "
                          f"of its range: {rate_text}{no_eval}")
    elif rising and loss_span > 0:
        rate_text = (f"lower the learning rate (now {learning_rate:.6g}; try {learning_rate / 10:.6g})"
                     if not math.isnan(learning_rate) else "lower the learning rate")
        how = (f"ends above where it started ({losses[0]:.4g} to {losses[-1]:.4g})" if losses[-1] > losses[0] else
               f"rises {over_window} by {loss_change / loss_span:.0%} of its range, to {losses[-1]:.4g}")
        out.update(suggested_learning_rate=learning_rate / 10, verdict="diverging",
                   reason=f"the training loss {how}: training makes it worse; {rate_text}{no_eval}")
    elif out["overfit_from_iteration"] is not None:
        out.update(verdict="over-fitting",
                   reason=f"eval_loss is lowest at iteration {out['best_iteration']} ({out['best_eval_loss']:.4g}) and "
                          f"stays above it from iteration {out['overfit_from_iteration']} to the end "
                          f"({tracked[-1]:.4g}) while the training loss still falls ({losses[-1]:.4g}): stop at "
                          f"iteration {out['best_iteration']} (early stopping) or regularise")
    elif span > 0 and -change > tolerance * span and tracked[-2] - tracked[-1] > tolerance * span / (window - 1):
        out.update(verdict="still improving",
                   reason=f"{name} still falls {over_window}: by {-change / span:.0%} of its range (more than "
                          f"{tolerance:.0%}), to {tracked[-1]:.4g}: train for more iterations{no_eval}")
    elif span > 0 and change > tolerance * span:
        out.update(verdict="unclear",
                   reason=f"{name} rises {over_window} by {change / span:.0%} of its range, to {tracked[-1]:.4g} "
                          f"(lowest {min(tracked):.4g}), while the training loss does not fall: plot the curves to see why")
    else:
        gap = out["gap"]
        reading = ("" if math.isnan(gap) else
                   f": train and validation agree (eval_loss {gap:.0%} above loss)" if gap <= GAP else
                   f", but eval_loss is {gap:.0%} above the training loss (more than {GAP:.0%}): the model fits "
                   "train better than it generalises; regularise or get more data")
        out.update(verdict="converged",
                   reason=f"{name} levels off at {tracked[-1]:.4g}"
                          + (f" (lowest {out['best_eval_loss']:.4g} at iteration {out['best_iteration']}), "
                             f"training loss {losses[-1]:.4g}" if has_eval else "")
                          + reading + no_eval)
    return out


def diagnose_history(frame: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """The per-run diagnosis of a history frame (``history``'s result, or any frame with its columns)."""
    tolerance = _check_tolerance(tolerance)
    runs = [_one_run(run, rows, tolerance) for run, rows in frame.groupby("training_run", sort=True)]
    summary = pd.DataFrame(runs, columns=list(SUMMARY_COLUMNS))
    for column in ("best_iteration", "overfit_from_iteration"):
        summary[column] = summary[column].astype("Int64")
    summary["training_run"] = summary["training_run"].astype("Int64")
    return summary


def diagnose_training(engine: Engine, source: str | identifiers.Source, *, tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """One row per training run: best_iteration, overfit_from_iteration, oscillating, verdict and
    reason. ``frame.attrs['history']`` holds the history it read (for ``plots.training``)."""
    tolerance = _check_tolerance(tolerance)
    rows = history(engine, source)
    summary = diagnose_history(rows, tolerance)
    summary.attrs["history"] = rows
    return attach(summary, [])

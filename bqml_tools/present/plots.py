"""Pictures of the toolkit's DataFrames: ROC and PR curves, reliability diagrams, threshold
sweeps, split reports, the train-vs-validation read-out, training histories and metrics with
their confidence intervals.

Every function takes the DataFrame that the matching command returns (``curve``, ``split_report``,
``diagnose``, ``training``) and returns a ``matplotlib.figure.Figure``; nothing is shown or saved unless you ask
(``figure.savefig(path)``). Group columns (``--by``) are found by elimination: every column that is
not one of the command's own output columns; each group gets one line. matplotlib is an optional
extra: ``pip install "bqml-tools[plot]"``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd

from ..errors import BqmlToolsError
from ..evaluation.intervals import where

CURVE_COLUMNS = {
    "roc": {"threshold", "fpr", "tpr", "tp", "fp"},
    "pr": {"threshold", "precision", "recall", "tp", "fp"},
    "thresholds": {"threshold", "tp", "fp", "tn", "fn", "precision", "recall", "f1"},
    "calibration": {"bin", "bin_lower", "bin_upper", "rows", "mean_score", "observed_rate",
                    "expected_calibration_error"},
}

# Notebook backends draw the figures in the notebook, so they are kept: "inline" (how matplotlib 3.9+
# names matplotlib_inline's backend), "module://matplotlib_inline.backend_inline", ipympl, nbagg.
NOTEBOOK_BACKENDS = ("inline", "ipympl", "widget", "nbagg")


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise BqmlToolsError('plots need matplotlib: pip install "bqml-tools[plot]"') from None
    backend = matplotlib.get_backend().lower()
    if backend != "agg" and not any(name in backend for name in NOTEBOOK_BACKENDS):
        matplotlib.use("Agg")  # headless: figures are saved, never shown in a window
    import matplotlib.pyplot as plt

    return plt


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BqmlToolsError(
            f"{what} plot needs column(s) {', '.join(missing)}; the frame has {', '.join(map(str, frame.columns))}"
        )


def _groups(frame: pd.DataFrame, known: set[str]) -> list[tuple[str, pd.DataFrame]]:
    """(label, rows) per group; one unlabeled group when there are no group columns."""
    by = [c for c in frame.columns if c not in known]
    if not by:
        return [("", frame)]
    out = []
    for key, rows in frame.groupby(by, sort=False, dropna=False):
        values = key if isinstance(key, tuple) else (key,)
        out.append((where(by, values), rows))
    return out


def _figure(title: str, size: tuple[float, float] = (5.5, 5.0)) -> tuple[Any, Any]:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=size, layout="constrained")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    return figure, axes


def _trapezoid(x: pd.Series, y: pd.Series) -> float:
    """Area under a curve given by points, in x order (the AUC of ROC points)."""
    points = sorted(zip(x, y))
    return float(sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(points, points[1:])))


def roc(frame: pd.DataFrame) -> Any:
    """ROC curves (``curve ... roc``): one line per group, the chance diagonal, AUC in the legend."""
    _require(frame, ["fpr", "tpr"], "ROC")
    figure, axes = _figure("ROC curve")
    for label, rows in _groups(frame, CURVE_COLUMNS["roc"]):
        x = pd.concat([pd.Series([0.0]), rows["fpr"].astype(float), pd.Series([1.0])], ignore_index=True)
        y = pd.concat([pd.Series([0.0]), rows["tpr"].astype(float), pd.Series([1.0])], ignore_index=True)
        auc = _trapezoid(x, y)
        axes.plot(x, y, drawstyle="default", label=f"{label + ': ' if label else ''}AUC {auc:.3f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate (recall)", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower right")
    return figure


def precision_recall(frame: pd.DataFrame) -> Any:
    """Precision-recall curves (``curve ... pr``), with each group's base rate as a dotted line."""
    _require(frame, ["precision", "recall"], "precision-recall")
    figure, axes = _figure("Precision-recall curve")
    for label, rows in _groups(frame, CURVE_COLUMNS["pr"]):
        ordered = rows.sort_values("recall", kind="stable")
        line = axes.plot(ordered["recall"].astype(float), ordered["precision"].astype(float),
                         drawstyle="steps-post", label=label or "model")[0]
        if "tp" in rows.columns and "fp" in rows.columns and len(rows):
            lowest = rows.loc[rows["threshold"].idxmin()] if "threshold" in rows.columns else rows.iloc[-1]
            total = float(lowest["tp"]) + float(lowest["fp"])
            if total > 0:
                axes.axhline(float(lowest["tp"]) / total, linestyle=":", color=line.get_color(), linewidth=1)
    axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower left")
    return figure


def calibration(frame: pd.DataFrame) -> Any:
    """Reliability diagram (``curve ... calibration``): observed rate against mean score per bin,
    the diagonal of perfect calibration, and the rows per bin as bars underneath."""
    _require(frame, ["mean_score", "observed_rate", "rows", "bin_lower", "bin_upper"], "calibration")
    plt = _pyplot()
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(5.5, 6.5), sharex=True, layout="constrained",
                                         gridspec_kw={"height_ratios": [3, 1]})
    top.set_title("Calibration (reliability diagram)")
    groups = _groups(frame, CURVE_COLUMNS["calibration"])
    width = float((frame["bin_upper"] - frame["bin_lower"]).min()) / max(len(groups), 1)
    for i, (label, rows) in enumerate(groups):
        ece = rows["expected_calibration_error"].iloc[0] if "expected_calibration_error" in rows else None
        text = (label + ": " if label else "") + (f"ECE {ece:.3f}" if ece is not None and pd.notna(ece) else "model")
        line = top.plot(rows["mean_score"].astype(float), rows["observed_rate"].astype(float), marker="o", label=text)[0]
        bottom.bar(rows["bin_lower"].astype(float) + i * width, rows["rows"].astype(float), width=width,
                   align="edge", color=line.get_color(), alpha=0.7)
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfectly calibrated")
    top.set(ylabel="observed positive rate", xlim=(0, 1), ylim=(0, 1.01))
    top.grid(True, alpha=0.3)
    top.legend(loc="upper left")
    bottom.set(xlabel="score (bin)", ylabel="rows")
    bottom.grid(True, alpha=0.3)
    return figure


def thresholds(frame: pd.DataFrame) -> Any:
    """Threshold sweep (``curve ... thresholds``): precision, recall and F1 against the threshold."""
    _require(frame, ["threshold", "precision", "recall", "f1"], "threshold")
    figure, axes = _figure("Precision, recall and F1 by threshold", (6.5, 4.5))
    styles = {"precision": "-", "recall": "--", "f1": ":"}
    for label, rows in _groups(frame, CURVE_COLUMNS["thresholds"]):
        color = None
        for metric, style in styles.items():
            line = axes.plot(rows["threshold"].astype(float), rows[metric].astype(float), linestyle=style,
                             color=color, label=f"{label + ' ' if label else ''}{metric}")[0]
            color = line.get_color()
    axes.set(xlabel="threshold (positive when score >= threshold)", ylabel="value", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="best", fontsize="small")
    return figure


def split_report(table: pd.DataFrame) -> Any:
    """The split report's realised fraction of rows per split beside the asked fraction."""
    _require(table, ["split", "rows", "fraction", "asked"], "split report")
    figure, axes = _figure("Rows per split: realised vs asked", (6.0, 4.0))
    positions = range(len(table))
    axes.bar([p - 0.2 for p in positions], table["asked"].astype(float).fillna(0), width=0.4, label="asked",
             color="lightgrey", edgecolor="grey")
    bars = axes.bar([p + 0.2 for p in positions], table["fraction"].astype(float), width=0.4, label="realised")
    for bar, rows in zip(bars, table["rows"]):
        axes.annotate(f"{int(rows):,}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize="small")
    axes.set_xticks(list(positions), [str(s) for s in table["split"]])
    axes.set(ylabel="fraction of rows")
    axes.legend()
    return figure


def diagnosis(frame: pd.DataFrame) -> Any:
    """Train vs validation error against the constant predictor (``diagnose``), with the verdict."""
    _require(frame, ["metric", "train", "valid", "baseline", "verdict"], "diagnose")
    row = frame.iloc[0]
    figure, axes = _figure(f"{row['verdict']}: train vs validation {row['metric']}", (5.5, 4.0))
    names = ["train", "valid", "constant\n(train)"]
    values = [float(row["train"]), float(row["valid"]), float(row["baseline"])]
    colors = ["tab:blue", "tab:orange", "lightgrey"]
    if "valid_baseline" in frame.columns and pd.notna(row["valid_baseline"]):  # the bar valid_skill is read against
        names.append("constant\n(valid)")
        values.append(float(row["valid_baseline"]))
        colors.append("whitesmoke")
    bars = axes.bar(names, values, color=colors, edgecolor="grey")
    for bar, value in zip(bars, values):
        axes.annotate(f"{value:.4g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom")
    axes.set(ylabel=f"{row['metric']} (lower is better)" if row["metric"] != "accuracy" else "accuracy")
    return figure


def training(frame: pd.DataFrame, history: pd.DataFrame | None = None) -> Any:
    """Training and validation loss per iteration (``diagnose_training``), one colour per run: the best
    iteration starred, over-fitting shaded from where it starts, the verdict in the title."""
    history = frame.attrs.get("history") if history is None else history
    if history is None:
        raise BqmlToolsError("training plot needs the history: pass the frame diagnose_training returns, "
                             "or history=...")
    _require(history, ["training_run", "iteration", "loss", "eval_loss"], "training")
    _require(frame, ["training_run", "best_iteration", "overfit_from_iteration", "verdict"], "training")
    verdicts = sorted(set(frame["verdict"]))
    figure, axes = _figure(f"Training history: {', '.join(verdicts)}", (6.5, 4.5))
    many = frame["training_run"].nunique() > 1
    for row in frame.to_dict("records"):
        rows = history.loc[history["training_run"] == row["training_run"]].sort_values("iteration")
        prefix = f"run {row['training_run']} " if many else ""
        line = axes.plot(rows["iteration"].astype(float), rows["loss"].astype(float), label=f"{prefix}loss")[0]
        if rows["eval_loss"].notna().any():
            axes.plot(rows["iteration"].astype(float), rows["eval_loss"].astype(float), linestyle="--",
                      color=line.get_color(), label=f"{prefix}eval_loss")
        if pd.notna(row["best_iteration"]):
            best = rows.loc[rows["iteration"] == row["best_iteration"]]
            axes.plot(best["iteration"].astype(float), best["eval_loss"].astype(float), marker="*", markersize=14,
                      linestyle="none", color=line.get_color(), label=f"{prefix}best iteration {row['best_iteration']}")
        if pd.notna(row["overfit_from_iteration"]):
            axes.axvspan(float(row["overfit_from_iteration"]), float(rows["iteration"].max()), color=line.get_color(),
                         alpha=0.1, label=f"{prefix}over-fitting from {row['overfit_from_iteration']}")
    axes.set(xlabel="iteration", ylabel="loss")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="best", fontsize="small")
    return figure


def _decimals(widths: pd.Series) -> int:
    """Decimals that show the narrowest interval with two significant digits (2 to 6), the same for every
    group so that the written values line up (0.7500, not 0.75 beside 0.7963)."""
    positive = widths[widths > 0].dropna()
    if positive.empty:
        return 4
    return int(min(6, max(2, 1 - math.floor(math.log10(float(positive.min()))))))


def intervals(frame: pd.DataFrame, metric: str = "roc_auc", *, groups: Sequence[str] | None = None) -> Any:
    """A metric with its confidence interval per group (``evaluate --ci``): one point and bar per group,
    the value written beside it; a group without an interval (NULL bounds) has its point only.

    ``groups``: the group columns (default: the columns that are neither metrics, bounds nor counts,
    found as every column without a ``_lower``/``_upper`` pair and of a non-numeric type)."""
    lower, upper = f"{metric}_lower", f"{metric}_upper"
    _require(frame, [metric, lower, upper], f"{metric} interval")
    if groups is None:
        groups = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
                  and c not in ("slice", "worse_than_whole")]
    labels = [", ".join(str(row[c]) for c in groups) if groups else "all rows" for _, row in frame.iterrows()]
    level = frame.attrs.get("ci")
    figure, axes = _figure(f"{metric} with its {f'{level:.0%} ' if level else ''}confidence interval",
                           (6.0, 1.2 + 0.55 * len(frame)))
    positions = list(range(len(frame)))[::-1]  # first group on top
    values = frame[metric].astype(float)
    below = (values - frame[lower].astype(float)).clip(lower=0)
    above = (frame[upper].astype(float) - values).clip(lower=0)
    axes.errorbar(values, positions, xerr=[below.fillna(0), above.fillna(0)], fmt="o", capsize=4)
    digits = _decimals(frame[upper].astype(float) - frame[lower].astype(float))
    for position, value, low, high in zip(positions, values, frame[lower].astype(float), frame[upper].astype(float)):
        text = f"{value:.{digits}f}" + (f" [{low:.{digits}f}, {high:.{digits}f}]" if pd.notna(low) and pd.notna(high)
                                        else " (no interval)")
        axes.annotate(text, (value, position), textcoords="offset points", xytext=(0, 7), ha="center",
                      fontsize="small")
    axes.set_yticks(positions, labels)
    axes.set_ylim(-0.7, len(frame) - 0.3)
    axes.set(xlabel=metric)
    return figure


CURVE_PLOTS = {"roc": roc, "pr": precision_recall, "calibration": calibration, "thresholds": thresholds}


HISTORY_COLUMNS = ("run_at", "model_name", "metric", "value")


def history(frame: pd.DataFrame, metric: str = "roc_auc", *, command: str | None = None) -> Any:
    """A metric over time from a metrics history (``evaluate/compare --append-to``; read it with
    ``pandas.read_parquet`` or ``bqml_tools.evaluation.history.read``): one line per model name, source
    filter and group, points at each run, with the interval as a band where the history has one."""
    _require(frame, HISTORY_COLUMNS, "history")
    rows = frame.loc[frame["metric"] == metric]
    if command is not None:
        rows = rows.loc[rows["command"] == command]
    if rows.empty:
        known = ", ".join(sorted(frame["metric"].dropna().unique())) or "(none)"
        raise BqmlToolsError(f"the history has no {metric!r} rows{' of ' + command if command else ''}; it has: {known}")
    rows = rows.assign(run_at=pd.to_datetime(rows["run_at"], utc=True)).sort_values("run_at")
    keys = [c for c in ("model_name", "command", "filters", "group_key") if c in rows.columns]
    figure, axes = _figure(f"{metric} over time", (7.0, 4.5))
    for key, line in rows.groupby(keys, sort=False, dropna=False):
        parts = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        label = " ".join(str(parts[k]) for k in keys if parts.get(k) not in (None, "", "{}"))
        axes.plot(line["run_at"], line["value"], marker="o", label=label)
        if {"lower", "upper"} <= set(line.columns) and line["lower"].notna().any():
            axes.fill_between(line["run_at"], line["lower"], line["upper"], alpha=0.2)
    axes.set(xlabel="run (UTC)", ylabel=metric)
    axes.legend(fontsize="small")
    figure.autofmt_xdate()
    return figure

"""Plots of the toolkit's DataFrames: produced from real command output, with the right axes,
one line per group, and a PNG that opens."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from bqml_tools import plots  # noqa: E402
from bqml_tools.errors import BqmlToolsError  # noqa: E402
from bqml_tools.evaluation import EvalSpec, curve, diagnose  # noqa: E402


@pytest.fixture(scope="module")
def predictions(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 4000
    y = (rng.random(n) < 0.3).astype(int)
    p = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.5 * y - 1)))
    split = np.where(rng.random(n) < 0.75, "train", "valid")
    path = tmp_path_factory.mktemp("plots") / "preds.parquet"
    pd.DataFrame({"id": np.arange(n), "label": y, "p": p, "split": split}).to_parquet(path)
    return str(path)


def _lines(figure, axes_index=0):
    return [line for line in figure.axes[axes_index].get_lines()]


@pytest.mark.parametrize("kind", ["roc", "pr", "thresholds", "calibration"])
@pytest.mark.parametrize("by", [(), ("split",)])
def test_curve_plots_have_axes_and_one_line_per_group(duck, predictions, tmp_path, kind, by):
    frame = curve(duck, predictions, EvalSpec(task="binary", label="label", score="p", by=by), kind, steps=20)
    figure = plots.CURVE_PLOTS[kind](frame)
    groups = 2 if by else 1
    axes = figure.axes[0]
    assert figure.axes[-1].get_xlabel() and axes.get_ylabel() and axes.get_title()
    per_group = {"thresholds": 3, "pr": 2}.get(kind, 1)  # pr: the curve and its base rate
    diagonal = 1 if kind in ("roc", "calibration") else 0
    assert len(_lines(figure)) == groups * per_group + diagonal
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    if by:
        assert any("split=train" in t for t in labels) and any("split=valid" in t for t in labels)
    path = tmp_path / f"{kind}.png"
    figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_roc_legend_auc_matches_the_trapezoid_of_the_points(duck, predictions):
    from sklearn.metrics import roc_auc_score

    frame = curve(duck, predictions, EvalSpec(task="binary", label="label", score="p"), "roc")
    legend = plots.roc(frame).axes[0].get_legend().get_texts()[0].get_text()
    data = pd.read_parquet(predictions)
    assert legend == f"AUC {roc_auc_score(data['label'], data['p']):.3f}"


def test_calibration_plot_shows_rows_per_bin(duck, predictions):
    frame = curve(duck, predictions, EvalSpec(task="binary", label="label", score="p"), "calibration")
    figure = plots.calibration(frame)
    heights = [patch.get_height() for patch in figure.axes[1].patches]
    assert heights == [float(v) for v in frame["rows"]]


def test_diagnosis_and_split_report_plots(duck, predictions):
    from bqml_tools import SplitSpec, split_report

    verdict = diagnose(duck, predictions, EvalSpec(task="binary", label="label", score="p"))
    figure = plots.diagnosis(verdict)
    assert verdict["verdict"].iloc[0] in figure.axes[0].get_title()
    assert [p.get_height() for p in figure.axes[0].patches] == pytest.approx(
        [verdict["train"].iloc[0], verdict["valid"].iloc[0], verdict["baseline"].iloc[0],
         verdict["valid_baseline"].iloc[0]])
    frame = pd.DataFrame({"user": range(500)})
    path = predictions.replace("preds.parquet", "users.parquet")
    frame.to_parquet(path)
    report = split_report(duck, path, SplitSpec(key=["user"]))
    figure = plots.split_report(report.table)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == list(report.table["split"])


def test_interval_plot_draws_each_group_with_its_bounds(duck, predictions, tmp_path):
    from bqml_tools.evaluation import evaluate

    frame = evaluate(duck, predictions, EvalSpec(task="binary", label="label", score="p", by="split", ci=0.9, key="id"))
    figure = plots.intervals(frame, "roc_auc")
    axes = figure.axes[0]
    assert axes.get_title() == "roc_auc with its 90% confidence interval"
    assert [t.get_text() for t in axes.get_yticklabels()] == list(frame["split"])
    points = axes.get_lines()[0]
    assert list(points.get_xdata()) == pytest.approx(list(frame["roc_auc"]))
    # the error bars span exactly [lower, upper] of each group
    segments = axes.collections[0].get_segments()
    drawn = sorted((float(s[0][0]), float(s[1][0])) for s in segments)
    expected = sorted(zip(frame["roc_auc_lower"], frame["roc_auc_upper"]))
    assert np.allclose(drawn, expected, rtol=0, atol=1e-12)
    figure.savefig(tmp_path / "intervals.png")
    assert (tmp_path / "intervals.png").stat().st_size > 0
    with pytest.raises(BqmlToolsError, match="roc_auc interval plot needs column"):
        plots.intervals(frame.drop(columns=["roc_auc_lower"]), "roc_auc")


def test_interval_plot_writes_every_group_with_the_same_decimals():
    """Two significant digits of the narrowest interval, for every group: 0.7500 beside 0.7963, not 0.75;
    a group without bounds keeps its point and says so."""
    frame = pd.DataFrame({"split": ["train", "valid", "test"], "roc_auc": [0.77261, 0.77312, 0.78],
                          "roc_auc_lower": [0.7634, 0.75, np.nan], "roc_auc_upper": [0.7818, 0.79631, np.nan]})
    texts = [t.get_text() for t in plots.intervals(frame, "roc_auc").axes[0].texts]
    assert texts == ["0.773 [0.763, 0.782]", "0.773 [0.750, 0.796]", "0.780 (no interval)"]


def test_a_frame_without_the_columns_is_a_clear_error():
    with pytest.raises(BqmlToolsError, match="ROC plot needs column"):
        plots.roc(pd.DataFrame({"x": [1]}))

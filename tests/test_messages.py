"""Messages that name things the same way everywhere and say what to do (issue 17, item 9)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import EvalSpec, evaluate
from bqml_tools.evaluation.decisions import parse_target, threshold
from bqml_tools.evaluation.intervals import where
from cli_runner import run
from tables import load


def imbalanced(group_values):
    """Per group value: 40 rows, 2 positives, a classifier no better than 'always negative'."""
    rows = []
    for value in group_values:
        for i in range(40):
            rows.append({"g": value, "y": int(i < 2), "s": 0.9 if i in (0, 5, 6) else 0.1, "k": len(rows)})
    return pd.DataFrame(rows)


def test_a_null_group_is_null_in_every_warning(engine):
    """The imbalance warning said g=nan (g=None for text) where the interval warnings said g=NULL."""
    frame = imbalanced(["a", None])
    table = load(engine, "ds.nullgroup", frame)
    for spec in (EvalSpec(task="binary", label="y", score="s", by=["g"]),
                 EvalSpec(task="binary", label="y", score="s", by=["g"], ci=0.9, key=["k"], partitions=5)):
        warnings = evaluate(engine, table, spec).attrs["warnings"]
        named = [w for w in warnings if w.startswith("accuracy ")]
        assert len(named) == 2 and any("(g=NULL)" in w for w in named), warnings
        assert not any("g=nan" in w or "g=None" in w for w in warnings), warnings


@given(value=st.sampled_from([None, math.nan, pd.NA, np.nan, float("nan")]), name=st.sampled_from(["g", "split"]))
def test_any_missing_group_value_is_named_null(value, name):
    assert where([name, "h"], [value, 3]) == f"{name}=NULL, h=3"


def test_a_number_as_the_goal_is_refused_in_words(duck):
    table = load(duck, "ds.goalnumber", imbalanced(["a"]))
    with pytest.raises(BqmlToolsError, match=r"goal 0.9 must be text \('recall>=0.9', .*or a bqml_tools.Goal"):
        threshold(duck, table, EvalSpec(task="binary", label="y", score="s"), 0.9)


@pytest.mark.parametrize("text", ["recall>=1e-12", "precision>=0.00000000001"])
def test_a_target_snapped_to_0_is_refused_quoting_it_as_written(text):
    with pytest.raises(BqmlToolsError, match=rf"goal '{text}': X must be a number in \(0, 1\]"):
        parse_target(text)


def invalid_group_frame():
    frame = imbalanced(["a", "b"])
    frame.loc[frame["g"] == "b", "y"] = None  # every row of b invalid
    return frame


def test_an_all_invalid_slice_is_not_told_to_key_on_a_finer_column(engine):
    table = load(engine, "ds.allinvalid", invalid_group_frame())
    got = evaluate(engine, table, EvalSpec(task="binary", label="y", score="s", by=["g"], invalid="exclude", ci=0.9,
                                           key=["k"], partitions=5))
    assert list(got["rows"]) == [40, 0]
    assert not any("finer column" in w for w in got.attrs["warnings"]), got.attrs["warnings"]


def test_threshold_keeps_an_all_invalid_group_with_rows_0_as_evaluate_does(engine):
    table = load(engine, "ds.allinvalid_t", invalid_group_frame())
    spec = EvalSpec(task="binary", label="y", score="s", by=["g"], invalid="exclude")
    assert list(evaluate(engine, table, spec)["rows"]) == [40, 0]
    got = threshold(engine, table, spec, "f1")
    assert list(got["g"]) == ["a", "b"] and list(got["rows"]) == [40, 0]
    assert pd.isna(got.loc[1, "threshold"]) and pd.notna(got.loc[0, "threshold"])


@pytest.mark.parametrize("option", ["--output", "--plot"])
def test_a_dangling_symlink_as_output_is_one_line(capsys, tmp_path, option):
    source = tmp_path / "p.csv"
    imbalanced(["a"]).to_csv(source, index=False)
    link = tmp_path / ("out.csv" if option == "--output" else "roc.png")
    link.symlink_to(tmp_path / "gone" / "nowhere")
    args = (["split", str(source), "--key", "k", "--fractions", "train=0.8,test=0.2", "--output", str(link)]
            if option == "--output" else
            ["curve", str(source), "roc", "--label", "y", "--score", "s", "--plot", str(link)])
    code, out, err = run(capsys, *args)
    assert code == 2 and "Errno" not in err and len(err.splitlines()) == 1, err
    assert err == f"Error: {option} {link} is a symbolic link to {tmp_path / 'gone' / 'nowhere'}, which does not " \
                  "exist: remove the link or choose another path\n"

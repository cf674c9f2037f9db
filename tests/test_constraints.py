"""One constraints table, two voices: the same rule refuses in the library's words (its Python arguments)
and in the CLI's (its flags), and no library error names a CLI flag."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation.spec import CONSTRAINTS, EvalSpec

from cli_runner import run

ROOT = Path(__file__).resolve().parents[1]
FLAG = re.compile(r"(?<![\w\[-])--[a-z][a-z-]*")

BINARY = dict(task="binary", label="y", score="s")
# Each rule broken once: the EvalSpec arguments, the same on the command line, and what each voice says.
BROKEN = {
    "top_k": (dict(task="multiclass", label="y", prediction="p", top_k=2),
              ["--task", "multiclass", "--label", "y", "--prediction", "p", "--top-k", "2"],
              "EvalSpec(top_k=2) needs probs=...", "--top-k needs --probs COLUMN"),
    "bins_per_logit": (dict(BINARY, auc="exact", bins_per_logit=5),
                       ["--task", "binary", "--label", "y", "--score", "s", "--auc", "exact", "--bins-per-logit", "5"],
                       "EvalSpec(bins_per_logit=5) does nothing with auc='exact'",
                       "--bins-per-logit does nothing with --auc exact"),
    "ci": (dict(BINARY, ci=0.9), ["--task", "binary", "--label", "y", "--score", "s", "--ci", "0.9"],
           "EvalSpec(ci=0.9) needs key=...", "--ci needs --key COLUMN"),
    "zero_division": (dict(BINARY, ci=0.9, key="k", zero_division="sklearn"),
                      ["--task", "binary", "--label", "y", "--score", "s", "--ci", "0.9", "--key", "k",
                       "--zero-division", "sklearn"],
                      "zero_division='sklearn' puts 0 where a metric is undefined",
                      "--zero-division sklearn puts 0 where a metric is undefined"),
    "key": (dict(BINARY, key="k"), ["--task", "binary", "--label", "y", "--score", "s", "--key", "k"],
            "EvalSpec(key=('k',)) does nothing without ci=...", "--key does nothing without --ci LEVEL"),
    "partitions": (dict(BINARY, partitions=10),
                   ["--task", "binary", "--label", "y", "--score", "s", "--partitions", "10"],
                   "EvalSpec(partitions=10) does nothing without ci=...", "--partitions does nothing without --ci LEVEL"),
    "min_slice_rows": (dict(BINARY, min_slice_rows=5),
                       ["--task", "binary", "--label", "y", "--score", "s", "--min-slice-rows", "5"],
                       "EvalSpec(min_slice_rows=5) needs by=...", "--min-slice-rows needs --by COLUMN"),
}


def test_every_constraint_is_broken_once_below():
    assert {rule.option for rule in CONSTRAINTS} == set(BROKEN)


@pytest.mark.parametrize("option", sorted(BROKEN))
def test_the_same_rule_speaks_python_in_the_library_and_flags_in_the_cli(option, capsys, tmp_path):
    kwargs, flags, python, cli = BROKEN[option]
    with pytest.raises(BqmlToolsError) as caught:
        EvalSpec(**kwargs)
    assert str(caught.value).startswith(python), str(caught.value)
    assert not FLAG.search(str(caught.value)), str(caught.value)
    assert caught.value.in_cli_words().startswith(cli)
    code, out, err = run(capsys, "evaluate", str(tmp_path / "preds.parquet"), *flags)
    assert code == 2 and out == ""
    assert err == f"Error: {caught.value.in_cli_words()}\n"
    assert "EvalSpec(" not in err and "=..." not in err


def test_no_library_error_names_a_cli_flag():
    """Every message a library module raises names options in core.options' brackets (two voices), never
    as a literal --flag; only bqml_tools/cli speaks in flags."""
    found = []
    for path in sorted((ROOT / "bqml_tools").rglob("*.py")):
        if "cli" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                for s in ast.walk(node.exc):
                    if isinstance(s, ast.Constant) and isinstance(s.value, str) and \
                            FLAG.search(re.sub(r"\[\[.*?\]\]", "", s.value)):
                        found.append(f"{path.relative_to(ROOT)}:{s.lineno}: {s.value}")
    assert not found, found


OPTIONS = st.fixed_dictionaries({}, optional={
    "prediction": st.just("p"), "score": st.just("s"), "probs": st.just("q"), "threshold": st.sampled_from([0.3, 2.0]),
    "positive": st.just("yes"), "top_k": st.sampled_from([0, 2]), "auc": st.sampled_from(["exact", "binned", "x"]),
    "bins_per_logit": st.sampled_from([0, 5]), "zero_division": st.sampled_from(["null", "sklearn"]),
    "weight": st.sampled_from(["w", "_bqml_w"]), "ci": st.sampled_from([0.9, 1.5]),
    "key": st.sampled_from(["k", ("k", "K")]), "partitions": st.sampled_from([3, 10]),
    "min_slice_rows": st.sampled_from([0, 5]), "by": st.sampled_from([(), ("g",), ("g", "G")]),
    "invalid": st.sampled_from(["error", "nope"])})


@settings(max_examples=200, deadline=None)
@given(task=st.sampled_from(["binary", "regression", "multiclass"]), options=OPTIONS)
def test_any_spec_refusal_names_arguments_in_python_and_flags_in_the_cli(task, options):
    """The class: whatever EvalSpec refuses, str(error) has no --flag and the CLI's words no Python argument."""
    try:
        EvalSpec(task=task, label="y", **options)
    except BqmlToolsError as error:
        assert not FLAG.search(str(error)), str(error)
        assert "EvalSpec(" not in error.in_cli_words() and "=...)" not in error.in_cli_words()

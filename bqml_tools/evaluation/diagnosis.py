"""A generalization verdict: train vs validation error against a constant baseline."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..core import identifiers
from ..core.options import refusal
from ..engines.base import Engine, require
from ..errors import BqmlToolsError, InvalidSplitSpec
from .checks import attach
from .metrics import evaluate
from .spec import INTERVAL_OPTIONS, EvalSpec


@dataclass(frozen=True)
class Thresholds:
    """When the read-out says under-fitting or over-fitting (see README, "Diagnose").

    ``underfit_skill`` in [0, 1]: under-fitting when train error removes less than this share of
    the baseline's. ``overfit_gap`` >= 0: over-fitting when validation error exceeds train error by
    more than this share of the baseline's. Both finite numbers; anything else is refused.
    """

    underfit_skill: float = 0.1
    overfit_gap: float = 0.1

    def __post_init__(self) -> None:
        for name, low, high in (("underfit_skill", 0.0, 1.0), ("overfit_gap", 0.0, math.inf)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not low <= value <= high:
                bound = f"from {low:g} to {high:g}" if math.isfinite(high) else f">= {low:g}"
                raise refusal(f"[[{name}]] {value!r} must be a finite number {bound}")


_ERRORS = {"regression": ("rmse", "rmse", "baseline_rmse"),
           "binary": ("log_loss", "log_loss", "baseline_log_loss"),
           "multiclass": ("error_rate", "accuracy", "baseline_accuracy")}


def diagnose(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, *, split_column: str = "split",
             train: str = "train", valid: str = "valid",
             thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Train vs validation error against a constant predictor: under-fit, over-fit or good fit.

    ``skill`` compares the train error with the constant predictor's on train (the mean label,
    the base rate, the majority class of train); ``valid_skill`` compares the validation error
    with the best constant predictor's on the validation rows (their own mean, base rate or
    majority class): at or below 0 the model does no better than a constant on validation.
    """
    require(engine, Engine, "diagnose")
    thresholds = thresholds or Thresholds()
    if not isinstance(thresholds, Thresholds):
        raise BqmlToolsError(f"thresholds {thresholds!r} must be a bqml_tools.Thresholds")
    identifiers.column(split_column, "split column")
    if spec.by:
        raise refusal(f"diagnose groups by the split column ({split_column}) itself: leave [[by]] out "
                      "(evaluate [[by]] gives the metrics per group)")
    spec.refuse(["threshold"] + ([] if spec.task == "binary" else ["probs"]) + ["top_k", "auc", "bins_per_logit", "zero_division", *INTERVAL_OPTIONS],
                "diagnose (it compares rmse, log loss or accuracy per split)")
    grouped = EvalSpec(**{**spec.__dict__, "by": (split_column,)})
    frame = evaluate(engine, source, grouped).set_index(split_column)
    for name in (train, valid):
        if name not in frame.index:
            raise InvalidSplitSpec(
                f"split {name!r} has no rows in column {split_column!r}; it has: "
                f"{', '.join(map(str, frame.index)) or '(none)'}"
            )
    metric, column, baseline_column = _ERRORS[spec.task]

    def error(split: str, col: str) -> float:
        value = frame.loc[split, col]
        value = float("nan") if pd.isna(value) else float(value)
        return 1 - value if spec.task == "multiclass" else value

    train_error, valid_error = error(train, column), error(valid, column)
    baseline, valid_baseline = error(train, baseline_column), error(valid, baseline_column)
    skill = 1 - train_error / baseline if baseline > 0 else float("nan")
    gap = (valid_error - train_error) / baseline if baseline > 0 else float("nan")
    valid_skill = 1 - valid_error / valid_baseline if valid_baseline > 0 else float("nan")
    no_skill = (f"{valid} {metric} {valid_error:.4g} is no better than a constant predictor's "
                f"{valid_baseline:.4g} on {valid} (valid_skill {valid_skill:.1%})") if valid_skill <= 0 else ""
    if math.isnan(skill) and spec.weight is not None and math.isnan(baseline):
        verdict, reason = "undetermined", f"the {train} rows weigh 0 in total (every weight in {spec.weight} is 0)"
    elif math.isnan(skill):
        verdict, reason = "undetermined", "the train labels are constant: a constant predictor is perfect"
    elif skill < thresholds.underfit_skill:
        verdict = "under-fitting"
        reason = (f"train {metric} {train_error:.4g} removes only {skill:.1%} of the constant "
                  f"predictor's {baseline:.4g} (needs {thresholds.underfit_skill:.0%})")
    elif gap > thresholds.overfit_gap:
        verdict = "over-fitting"
        reason = (f"{valid} {metric} {valid_error:.4g} exceeds train {train_error:.4g} by "
                  f"{gap:.1%} of the baseline's {baseline:.4g} (allowed {thresholds.overfit_gap:.0%})")
    elif no_skill:
        verdict = "no skill on validation"
        reason = (f"train {metric} {train_error:.4g} removes {skill:.1%} of the constant predictor's "
                  f"{baseline:.4g} and the gap is {gap:.1%}, but {no_skill}")
        no_skill = ""
    else:
        verdict = "good fit"
        reason = (f"train {metric} {train_error:.4g} removes {skill:.1%} of the constant predictor's "
                  f"{baseline:.4g}; {valid} {metric} {valid_error:.4g} is within "
                  f"{thresholds.overfit_gap:.0%} of the baseline of train's (gap {gap:.1%})")
    if no_skill:
        reason += f"; {no_skill}"
    return attach(pd.DataFrame([{
        "metric": metric, "train": train_error, "valid": valid_error, "baseline": baseline,
        "skill": skill, "gap": gap, "valid_baseline": valid_baseline, "valid_skill": valid_skill,
        "verdict": verdict, "reason": reason,
        "train_rows": int(frame.loc[train, "rows"]), "valid_rows": int(frame.loc[valid, "rows"]),
    }]), [w for w in frame.attrs.get("warnings", [])  # the rest is about unused metrics
          if w.startswith("excluded") or w.startswith("accuracy") and any(f"={s})" in w for s in (train, valid))])

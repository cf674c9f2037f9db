"""From metrics to a decision: the threshold of a binary classifier for a target or a cost.

``threshold`` runs one statement (``evaluate/threshold.sql``) that reads the predictions table
once, counts positives and negatives per logit bin (the default, on every engine, with a bound) or
per distinct score (exact, on request), and returns per group the best threshold for the goal with
every binary metric at it:

- ``recall>=x``: the highest threshold whose recall reaches x (so precision is as high as that
  recall allows);
- ``precision>=x``: the lowest threshold whose precision reaches x (so recall is as high as that
  precision allows);
- ``f1``: the threshold of the highest F1;
- a cost ``fp=1,fn=20``: the threshold of the least ``fp_cost * fp + fn_cost * fn``.

Ties go to the higher threshold. An unreachable target is an error that says the best reachable
value. Predicted positive means ``score >= threshold``, as everywhere in bqml_tools.
"""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd

from ..core import identifiers
from ..core.options import refusal
from ..engines.base import Engine, require
from ..engines.schema import source_schema
from ..errors import BqmlToolsError
from ..sql.render import Query, render
from . import registry
from .checks import attach, check_invalid, check_positive
from .context import as_source, auc_mode, template_context
from .guards import refuse_stray_labels
from .intervals import where as group_name
from .outputs import refuse_output_names
from .spec import EvalSpec

OBJECTIVES = ("recall", "precision", "f1", "cost")
OUTPUT_COLUMNS = registry.THRESHOLD
_COUNTS = ("invalid_label_rows", "invalid_score_rows")
# With --weight the statement also counts rows whose weight is invalid (after invalid_score_rows).
_WEIGHT_COUNT = registry.WEIGHT_COUNT


def output_columns(spec: EvalSpec) -> tuple[str, ...]:
    """The columns the threshold statement returns after the group columns."""
    return OUTPUT_COLUMNS + ((_WEIGHT_COUNT,) if spec.weight is not None else ())


BOUND_WARNING = 1e-3
_TARGET = re.compile(r"^\s*(recall|precision)\s*>=\s*(\S+)\s*$|^\s*(f1)\s*$", re.I)


@dataclass(frozen=True)
class Goal:
    """What the threshold is for: ``objective`` one of recall, precision (with ``target`` in (0, 1]),
    f1, or cost (with ``fp_cost`` and ``fn_cost``, finite numbers >= 0, not both 0: floats, or exact
    ``fractions.Fraction`` values as ``parse_cost`` gives; candidates are ranked by their exact ratio)."""

    objective: str
    target: float | None = None
    fp_cost: float | None = None
    fn_cost: float | None = None

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise BqmlToolsError(f"objective {self.objective!r} is not one of: {', '.join(OBJECTIVES)}")
        if self.objective in ("recall", "precision"):
            if not _number(self.target) or not 0 < self.target <= 1:
                raise BqmlToolsError(f"target {self.objective}>={self.target!r} must be a number in (0, 1]: "
                                     f"e.g. {self.objective}>=0.95")
        elif self.target is not None:
            raise BqmlToolsError(f"objective {self.objective} takes no target value")
        if self.objective == "cost":
            for name in ("fp_cost", "fn_cost"):
                value = getattr(self, name)
                if not _number(value) or value < 0:
                    shown = f"{float(value):g}" if isinstance(value, Fraction) else repr(value)  # as written
                    raise BqmlToolsError(f"cost {name[:2]}={shown} must be a finite number >= 0: e.g. fp=1,fn=20")
            if self.fp_cost == 0 and self.fn_cost == 0:
                raise BqmlToolsError("costs fp=0,fn=0 make every threshold free: give at least one a positive cost")
        elif self.fp_cost is not None or self.fn_cost is not None:
            raise BqmlToolsError(f"objective {self.objective} takes no costs")

    def __str__(self) -> str:
        if self.objective == "cost":
            return f"least cost (fp={float(self.fp_cost):g}, fn={float(self.fn_cost):g})"
        if self.objective == "f1":
            return "best f1"
        return f"{self.objective}>={self.target:g}"


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)


# A cost is written with at most this many characters (1e999999999 would take long to expand).
_COST_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?%?$|^\d+/\d+$")
# The candidates' costs compare as fp_weight * fp + fn_weight * fn in integers below this bound.
_INT64 = 2 ** 63 - 1


def _parse_cost_value(text: str, what: str) -> Fraction:
    """A cost exactly as written (1e-30 stays 1e-30; no snapping to a nearby fraction)."""
    raw = text.strip()
    huge = "e" in raw.lower() and _COST_TEXT.match(raw) and abs(int(re.split("[eE]", raw.rstrip("%"))[1])) > 300
    if len(raw) > 40 or not _COST_TEXT.match(raw) or huge:
        raise refusal(f"{what} {text.strip()!r} is not a number: write e.g. 1, 0.5, 1/3 or 20")
    value = Fraction(raw.rstrip("%")) / (100 if raw.endswith("%") else 1)
    return value


def cost_order(goal: Goal) -> tuple[str, int | None, int | None]:
    """How candidates are ranked for a cost goal, exactly: ('weighed', A, B), A and B the least
    integers in the ratio fp_cost : fn_cost; or ('fp first' | 'fn first', None, None) when one cost
    is 2^63 times the other or more (no count of the other can make up one of it). Costs whose exact
    ratio needs larger integers are refused."""
    fp, fn = Fraction(goal.fp_cost), Fraction(goal.fn_cost)
    if fn > 0 and fp >= fn * _INT64:
        return "fp first", None, None
    if fp > 0 and fn >= fp * _INT64:
        return "fn first", None, None
    scale = math.lcm(fp.denominator, fn.denominator)
    a, b = int(fp * scale), int(fn * scale)
    divisor = math.gcd(a, b)
    a, b = a // divisor, b // divisor
    if max(a, b) > _INT64:
        raise BqmlToolsError(f"costs fp={float(goal.fp_cost):g},fn={float(goal.fn_cost):g}: their exact ratio "
                             f"{a}:{b} needs integers beyond 2^63 to compare; write them with fewer digits")
    return "weighed", a, b


def _parse_number(text: str, what: str) -> float:
    from ..core.plan import parse_fraction  # 0.95, 19/20 and 95% all work, as for every numeric option

    try:
        return float(parse_fraction(text.strip(), what))
    except BqmlToolsError:
        raise refusal(f"{what} {text!r} is not a number: write e.g. 0.95, 19/20 or 95%") from None


def parse_target(text: str) -> Goal:
    """``recall>=0.95``, ``precision>=90%`` or ``f1``."""
    match = _TARGET.match(text or "")
    if not match:
        quote = (" in quotes ('recall>=0.95'): the shell reads an unquoted > as a redirection"
                 if (text or "").strip().lower() in ("recall", "precision") else "")
        raise refusal(f"[[goal|target]] {text!r}: write recall>=X, precision>=X (X in (0, 1]) or f1{quote}")
    if match.group(3):
        return Goal("f1")
    objective = match.group(1).lower()
    value = _parse_number(match.group(2), f"[[goal|target]] {objective}>=")
    if not 0 < value <= 1:  # quoted as written: 1e-12 snaps to 0, 1.0000000001 to 1
        raise refusal(f"[[goal|target]] {text.strip()!r}: X must be a number in (0, 1], e.g. {objective}>=0.95")
    return Goal(objective, target=value)


def parse_cost(text: str) -> Goal:
    """``fp=1,fn=20``: the cost of one false positive and of one false negative."""
    costs: dict[str, float] = {}
    for part in (text or "").split(","):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in ("fp", "fn") or name in costs:
            raise refusal(f"[[goal|cost]] {text!r}: write fp=COST,fn=COST, e.g. fp=1,fn=20")
        costs[name] = _parse_cost_value(value, f"[[goal|cost]] {name}=")
    if set(costs) != {"fp", "fn"}:
        raise refusal(f"[[goal|cost]] {text!r}: give both, e.g. fp=1,fn=20")
    return Goal("cost", fp_cost=costs["fp"], fn_cost=costs["fn"])


def goal_of(target: str | Goal | None = None, cost: str | None = None) -> Goal:
    """The goal from ``target`` (text or a Goal) or ``cost`` (text): exactly one of them."""
    if (target is None) == (cost is None):
        raise refusal("give one goal: [[target]] recall>=X, precision>=X or f1, or [[cost]] fp=A,fn=B")
    if isinstance(target, Goal):
        return target
    for name, value in (("goal", target), ("cost", cost)):
        if value is not None and not isinstance(value, str):
            example = "'recall>=0.9'" if isinstance(value, (int, float)) and not isinstance(value, bool) else "'f1'"
            raise BqmlToolsError(f"{name} {value!r} must be text ({example}, 'precision>=0.8', 'f1'; for a cost "
                                 "'fp=1,fn=20') or a bqml_tools.Goal")
    return parse_target(target) if target is not None else parse_cost(cost or "")


# EvalSpec options a threshold search does not use (given, they are refused).
_UNUSED = ("threshold", "zero_division", "ci", "key", "partitions", "min_slice_rows")


def threshold_query(source: str | identifiers.Source, spec: EvalSpec, goal: Goal, dialect: str, *,
                    engine: Engine | None = None, inline: bool = True) -> Query:
    """The statement that finds the threshold for ``goal`` per group (``spec``: a binary EvalSpec;
    ``spec.auc`` chooses exact candidates or bins, ``spec.bins_per_logit`` their width)."""
    if spec.task != "binary":
        raise BqmlToolsError(f"a threshold is for binary classification, not {spec.task}")
    if not isinstance(goal, Goal):
        raise BqmlToolsError(f"goal {goal!r} must be a bqml_tools.Goal (or use parse_target / parse_cost)")
    spec.refuse(_UNUSED, "threshold (it chooses the threshold)")
    refuse_output_names(spec, "threshold")
    src = as_source(source)
    schema = source_schema(engine, src) if engine is not None else None
    context = template_context(src, spec, dialect, schema, inline, "threshold")
    mode = context["mode"]
    context["header_lines"] = context["header_lines"] + [
        f"goal: {goal}; candidates: " + ("every distinct score" if mode == "exact" else
                                          f"the lowest score of each logit bin ({context['bins_per_logit']} per unit)")]
    order, fp_weight, fn_weight = cost_order(goal) if goal.objective == "cost" else ("weighed", None, None)
    return render("evaluate/threshold.sql", dialect, inline=inline, objective=goal.objective,
                  cost_order=order, fp_weight=fp_weight, fn_weight=fn_weight,
                  target=None if goal.target is None else float(goal.target),
                  fp_cost=None if goal.fp_cost is None else float(goal.fp_cost),
                  fn_cost=None if goal.fn_cost is None else float(goal.fn_cost), **context)


def _where(frame: pd.DataFrame, index: Any, by: tuple[str, ...]) -> str:
    return f" ({group_name(by, [frame.at[index, c] for c in by])})" if by else ""


def threshold(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, goal: Goal | str | None = None,
              *, cost: str | None = None) -> pd.DataFrame:
    """The threshold for ``goal`` (a Goal, or text: ``"recall>=0.95"``, ``"f1"``; or ``cost="fp=1,fn=20"``)
    per group, with every binary metric at it. ``frame.attrs['warnings']`` lists warnings."""
    goal = goal_of(goal, cost)
    src = as_source(source)
    require(engine, Engine, "threshold")
    binned = auc_mode(spec, "threshold") == "binned"
    query = threshold_query(src, spec, goal, engine.dialect, engine=engine, inline=False)
    refuse_stray_labels(engine, src, spec)
    frame = engine.run(query)
    count_columns = _COUNTS + ((_WEIGHT_COUNT,) if spec.weight is not None else ())
    counts = {c: int(frame[c].fillna(0).sum()) for c in count_columns}
    valid = int(frame["rows"].fillna(0).sum())
    warnings = check_invalid(counts, valid, spec, src)
    # positives: a count, or (with --weight) a total weight: 0 only when no positive row weighs anything
    check_positive(spec, float(frame["positives"].fillna(0).sum()), valid)
    # a group whose rows are all invalid (excluded) stays, with rows 0 and no threshold, as evaluate keeps it
    frame = frame.loc[(frame["rows"] > 0) | bool(spec.by)].drop(columns=list(count_columns)).reset_index(drop=True)
    for i in frame.index:
        where = _where(frame, i, spec.by)
        if int(frame.at[i, "rows"]) == 0:
            continue
        if goal.objective in ("recall", "precision", "f1") and float(frame.at[i, "positives"]) == 0:
            weighed = f" with a weight above 0 in {spec.weight}" if spec.weight is not None else ""
            raise BqmlToolsError(f"no positive row{weighed}{where}: {goal} needs positives in {spec.label}")
        if not bool(frame.at[i, "target_met"]):
            best = float(frame.at[i, "best_reachable"])
            if binned and pd.notna(frame.at[i, "bound"]):  # some bin's best case reaches the target
                raise refusal(f"{goal} is not reached at any bin edge{where} (the best {goal.objective} "
                              f"there is {best:.6g}), but a threshold inside a bin may reach it: use "
                              "[[auc|search=exact]] or raise [[bins_per_logit]]")
            raise BqmlToolsError(f"{goal} is not reachable{where}: the best {goal.objective} is {best:.6g}; "
                                 f"lower the target")
        if goal.objective == "cost":  # compared exactly, on the counts (or the weights' sums) as returned
            fp_cost, fn_cost = Fraction(goal.fp_cost), Fraction(goal.fn_cost)
            nothing = fn_cost * Fraction(float(frame.at[i, "positives"]))
            best = fp_cost * Fraction(float(frame.at[i, "fp"])) + fn_cost * Fraction(float(frame.at[i, "fn"]))
            if nothing < best:
                warnings.append(f"predicting every row negative{where} costs {float(nothing):.6g}, less than the best "
                                f"threshold's {float(frame.at[i, 'cost']):.6g}: no threshold pays off at these costs")
    bound = frame["bound"].max() if len(frame) else float("nan")
    if pd.notna(bound) and bound > BOUND_WARNING:
        warnings.append(f"thresholds inside a bin could do better by up to {bound:.2g} (bound): raise "
                        "--bins-per-logit or use --search exact")
    return attach(frame, warnings)


def summary(row: dict[str, Any], goal: Goal, by: tuple[str, ...] = ()) -> str:
    """One sentence for a result row: the threshold and what it gives."""
    from ..core.plan import shortest_text

    where = group_name(by, [row[c] for c in by])
    if not row["rows"]:
        return f"{where + ': ' if where else ''}no valid row: no threshold"
    reading = {"recall": f"{goal}: the highest threshold that reaches it",
               "precision": f"{goal}: the lowest threshold that reaches it", "f1": "the best F1",
               "cost": f"the least total cost at fp={float(goal.fp_cost or 0):g}, fn={float(goal.fn_cost or 0):g}"}[goal.objective]
    cost = f", cost {row['cost']:.6g}" if goal.objective == "cost" else ""
    # the threshold as repr writes it: pasted back into evaluate --threshold it gives these counts exactly
    return (f"{where + ': ' if where else ''}positive when score >= {shortest_text(row['threshold'])}: recall "
            f"{row['recall']:.4g}, precision {row['precision']:.4g}, f1 {row['f1']:.4g}{cost} ({reading})")

"""What to evaluate: ``EvalSpec``, its defaults, and which options each task uses."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..core import identifiers
from ..core.options import refusal
from ..errors import BqmlToolsError
from . import filters


TASKS = ("regression", "binary", "multiclass")
# log loss clips probabilities to [EPS, 1 - EPS] with EPS the float64 machine epsilon, as
# scikit-learn's log_loss does (np.finfo(float64).eps; no renormalisation of multiclass rows).
CLIP = 2.220446049250313e-16
DEFAULT_THRESHOLD = 0.5
DEFAULT_TOP_K = 3
DEFAULT_BINS_PER_LOGIT = 10_000
# intervals: every replicate windows its own copy of the bins (K + 2 copies), so 10x coarser bins
# keep --ci within ~3x a plain evaluate at 1M continuous scores (BENCHMARKS.md); the bound is reported
DEFAULT_CI_BINS_PER_LOGIT = 1_000
BOUND_WARNING = 1e-4
# Binary from an ML.PREDICT probabilities array (--probs --positive): a row's probabilities must sum to 1
# within this much, else the row is invalid (a truncated or mislabelled array scores nothing).
PROB_SUM_TOLERANCE = 1e-6
BOUND_SHARE_OF_INTERVAL = 0.1  # with --ci: the bound's largest share of the interval's half-width

# Which options each task uses; an option given for a task that ignores it is refused (it would do
# nothing, silently). ``None`` means "not given" (the defaults apply where the option is used).
_OPTIONAL = ("prediction", "score", "probs", "threshold", "positive", "top_k", "auc", "bins_per_logit",
             "zero_division", "label_type")
DEFAULT_PARTITIONS = 20
# Options only `evaluate` (metrics) and `compare` use; every other command refuses them.
INTERVAL_OPTIONS = ("ci", "key", "partitions", "min_slice_rows")
# The jackknife partitions come from FARM_FINGERPRINT of the key string salted with this text, so they
# are independent of any split or sample made from the same key (those use the unsalted fingerprint).
PARTITION_SALT = "bqml_tools jackknife"
_USED_BY = {
    "regression": {"prediction", "zero_division"},
    "binary": {"score", "probs", "threshold", "positive", "auc", "bins_per_logit", "zero_division", "label_type"},
    "multiclass": {"prediction", "probs", "top_k", "zero_division", "label_type"},
}


def refuse_unused(given: Sequence[str], what: str) -> None:
    """One line naming every given option that ``what`` (a message in the two voices of core.options,
    e.g. ``"task binary"``) does not use."""
    if given:
        one = len(given) == 1
        raise refusal(f"{', '.join(f'[[{o}]]' for o in given)} {'does' if one else 'do'} nothing for {what}: "
                      f"leave {'it' if one else 'them'} out")


@dataclass(frozen=True)
class Constraint:
    """A rule between EvalSpec's options: when ``broken`` holds, ``message`` (core.options' two voices;
    ``[[option!]]`` is the option at fault) is the refusal, in Python words or the CLI's."""

    option: str
    broken: Callable[[EvalSpec], bool]
    message: str


# Every rule between options, in the order they are checked (each option's own range is checked first).
CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint("top_k", lambda s: s.top_k is not None and s.probs is None,
               "[[top_k!]] needs [[probs=]] (top_k_accuracy ranks the probabilities)"),
    Constraint("bins_per_logit", lambda s: s.bins_per_logit is not None and s.auc == "exact",
               "[[bins_per_logit!]] does nothing with [[auc=exact]]: leave one of them out"),
    Constraint("ci", lambda s: s.ci is not None and not s.key,
               "[[ci!]] needs [[key=]]: intervals come from partitions of the rows by FARM_FINGERPRINT of a key; "
               "give a row id, or a user id to keep each user's rows together"),
    Constraint("zero_division", lambda s: s.ci is not None and s.zero_division == "sklearn",
               "[[zero_division=sklearn]] puts 0 where a metric is undefined, and an interval made from those "
               "zeros would be wrong: leave [[zero_division]] out with [[ci]]"),
    Constraint("key", lambda s: s.ci is None and bool(s.key),
               "[[key!]] does nothing without [[ci=]] (e.g. [[ci=0.95]]): add it, or leave [[key]] out"),
    Constraint("partitions", lambda s: s.ci is None and s.partitions is not None,
               "[[partitions!]] does nothing without [[ci=]] (e.g. [[ci=0.95]]): add it, or leave [[partitions]] out"),
    Constraint("min_slice_rows", lambda s: s.min_slice_rows is not None and not s.by,
               "[[min_slice_rows!]] needs [[by=]]: it marks the slices (groups) that are too small"),
)


@dataclass(frozen=True)
class EvalSpec:
    """What to evaluate. ``prediction`` for regression and multiclass, ``score`` for binary.

    ``invalid``: ``"error"`` (default: refuse, with counts) or ``"exclude"`` (drop and count).
    ``auc``: ``"exact"`` or ``"binned"``; the default is the same on every engine (``context.auc_mode``):
    exact for evaluate, binned for curves, threshold search and intervals.
    ``zero_division``: ``"null"`` (default) or ``"sklearn"`` (0, and r2's force_finite rule).
    ``label_type``: the label's type when no engine can be asked (printing SQL only).
    Options left at ``None`` take their defaults (threshold 0.5, top_k 3, bins_per_logit 10,000, or
    1,000 with ``ci``, zero_division "null"); an option the task does not use is refused rather than ignored.
    ``weight``: a column of row weights (numbers >= 0), as scikit-learn's ``sample_weight``.
    ``ci``: a confidence level (e.g. 0.95): each metric gets ``<metric>_lower`` and ``<metric>_upper``
    from a delete-a-group jackknife over ``partitions`` (default 20) partitions of the rows by
    FARM_FINGERPRINT of ``key`` (needed with ``ci``; a key's rows stay in one partition).
    ``min_slice_rows``: with ``by``, groups with fewer rows are reported as too small.
    ``where``: row filters, ANDed: ``{"split": "valid"}``, ``[("split", "valid")]`` or ``["split=valid"]``;
    each value is typed against its column's type and bound as a query parameter.
    """

    task: str
    label: str
    prediction: str | None = None
    score: str | None = None
    by: Sequence[str] = ()
    threshold: float | None = None
    positive: Any = None
    probs: str | None = None
    top_k: int | None = None
    invalid: str = "error"
    auc: str | None = None
    bins_per_logit: int | None = None
    zero_division: str | None = None
    label_type: str | None = None
    weight: str | None = None
    ci: float | None = None
    key: Sequence[str] = ()
    partitions: int | None = None
    min_slice_rows: int | None = None
    where: Any = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "where", filters.parse(self.where))
        if isinstance(self.key, str):
            object.__setattr__(self, "key", (self.key,))
        elif isinstance(self.key, (list, tuple)):
            object.__setattr__(self, "key", tuple(self.key))
        else:
            raise BqmlToolsError(f"key {self.key!r} must be a column name or a list of column names")
        if isinstance(self.by, str):
            object.__setattr__(self, "by", (self.by,))
        elif isinstance(self.by, (list, tuple)):
            object.__setattr__(self, "by", tuple(self.by))
        else:
            raise BqmlToolsError(f"by {self.by!r} must be a column name or a list of column names")
        if self.task not in TASKS:
            raise BqmlToolsError(f"task {self.task!r} is not one of: {', '.join(TASKS)}")
        identifiers.column(self.label, "label column")
        if self.task == "binary":
            self._check_binary_score()
        elif self.prediction is None:
            raise refusal(f"task {self.task} needs [[prediction=]]")
        refuse_unused([o for o in _OPTIONAL if getattr(self, o) is not None and o not in _USED_BY[self.task]],
                      f"task {self.task}")
        for role in ("prediction", "score", "probs"):
            if getattr(self, role) is not None:
                identifiers.column(getattr(self, role), f"{role} column")
        for column in self.by:
            identifiers.column(column, "group (by) column")
        roles = ("label", "prediction", "score", "probs")
        identifiers.refuse_reserved_options([(r, getattr(self, r)) for r in roles] + [("by", c) for c in self.by])
        lowered = [c.lower() for c in self.by]
        if len(set(lowered)) != len(lowered):
            raise refusal(f"[[by]] columns repeat (names are case-insensitive): {', '.join(self.by)}")
        if self.threshold is not None and (
                isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float))
                or math.isnan(self.threshold) or not 0 <= float(self.threshold) <= 1):
            raise BqmlToolsError(f"threshold {self.threshold!r} must be a number in [0, 1]")
        if self.invalid not in ("error", "exclude"):
            raise BqmlToolsError(f"invalid-rows policy {self.invalid!r} is not one of: error, exclude")
        if self.auc not in (None, "exact", "binned"):
            raise BqmlToolsError(f"AUC mode {self.auc!r} is not one of: exact, binned")
        if self.zero_division not in (None, "null", "sklearn"):
            raise BqmlToolsError(f"zero-division convention {self.zero_division!r} is not one of: null, sklearn")
        if self.top_k is not None and (isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1):
            raise BqmlToolsError(f"top-k {self.top_k!r} must be a whole number >= 1")
        if self.bins_per_logit is not None and (isinstance(self.bins_per_logit, bool)
                                                or not isinstance(self.bins_per_logit, int)
                                                or not 1 <= self.bins_per_logit <= 10**7):
            raise BqmlToolsError(f"bins per logit unit {self.bins_per_logit!r} must be from 1 to 10,000,000")
        self._check_intervals()
        for rule in CONSTRAINTS:
            if rule.broken(self):
                raise refusal(rule.message, owner="EvalSpec", values={rule.option: getattr(self, rule.option)})
        if isinstance(self.positive, str) and not self.positive.isprintable():
            raise BqmlToolsError(f"positive label {self.positive!r} must be printable text")
        if self.positive is not None and not isinstance(self.positive, (str, int, float)) \
                or isinstance(self.positive, float) and not math.isfinite(self.positive):
            raise BqmlToolsError(f"positive label {self.positive!r} must be a finite number, text or a boolean")

    def _check_binary_score(self) -> None:
        """Binary reads score, or the positive entry of probs (needs positive)."""
        if self.score is None and self.probs is None:
            raise refusal("task binary needs [[score=]] (the positive class's probability), or, for ML.PREDICT's "
                          "predicted_<label>_probs array, [[probs=]] [[positive=]]")
        if self.score is not None and self.probs is not None:
            raise refusal(f"[[score]] {self.score} and [[probs]] {self.probs} both give the score: give one of them")
        if self.probs is not None and self.positive is None:
            raise refusal(f"[[probs]] {self.probs} needs [[positive=]]: the label whose probability is the "
                          "score (e.g. malignant)")

    @property
    def score_name(self) -> str:
        """What the binary score is, for headers and messages: the column, or the array's positive entry."""
        if self.probs is not None:
            return f"the prob of {self.positive!r} in {self.probs}"
        return str(self.score)

    def _check_intervals(self) -> None:
        """--ci LEVEL, --key, --partitions, --weight and --min-slice-rows."""
        if self.weight is not None:
            identifiers.column(self.weight, "weight column")
        for column in self.key:
            identifiers.column(column, "key column")
        identifiers.refuse_reserved_options([("weight", self.weight)] + [("key", c) for c in self.key])
        if self.ci is not None:
            if isinstance(self.ci, bool) or not isinstance(self.ci, (int, float)) or not 0 < float(self.ci) < 1:
                raise refusal(f"[[ci]] {self.ci!r} must be a confidence level between 0 and 1, e.g. 0.95")
            lowered = [c.lower() for c in self.key]
            if len(set(lowered)) != len(lowered):
                raise refusal(f"[[key]] columns repeat (names are case-insensitive): {', '.join(self.key)}")
        if self.partitions is not None and (isinstance(self.partitions, bool) or not isinstance(self.partitions, int)
                                            or not 5 <= self.partitions <= 1000):
            raise refusal(f"[[partitions]] {self.partitions!r} must be a whole number from 5 to 1,000 (default 20)")
        if self.min_slice_rows is not None and (isinstance(self.min_slice_rows, bool)
                                                or not isinstance(self.min_slice_rows, int) or self.min_slice_rows < 1):
            raise refusal(f"[[min_slice_rows]] {self.min_slice_rows!r} must be a whole number >= 1")

    @property
    def columns(self) -> list[str]:
        cols = [self.label] + [c for c in (self.prediction, self.score, self.probs) if c] + list(self.by)
        cols += [c for c in (self.weight,) if c] + list(self.key) + [c for c, _ in self.where]
        return list(dict.fromkeys(cols))

    @property
    def partition_count(self) -> int:
        return DEFAULT_PARTITIONS if self.partitions is None else self.partitions

    def refuse(self, options: Sequence[str], what: str) -> None:
        """Refuse the options in ``options`` that are given: ``what`` does not use them."""
        refuse_unused([o for o in options if getattr(self, o) not in (None, ())], what)

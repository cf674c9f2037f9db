"""The columns each evaluation statement returns, and the refusal of group columns that would clash."""
from __future__ import annotations

from ..errors import BqmlToolsError
from . import registry
from .spec import EvalSpec

VIEWS = {"metrics": None, "classes": "evaluate/multiclass_classes.sql", "confusion": "evaluate/confusion_matrix.sql"}
# The output columns of each statement after its group columns, from the registry (a test checks them
# against the rendered SQL). A --by column with one of these names would give the result two columns of
# that name (and a false invalid-row count, say), so it is refused.
OUTPUTS: dict[str, tuple[str, ...]] = {**{task: registry.statement_columns(task) for task in registry.TASKS},
                                       **registry.VIEWS, **registry.CURVES}


def output_columns(spec: EvalSpec, what: str) -> tuple[str, ...]:
    """The columns a statement returns after the group columns (``what``: a task, view or curve)."""
    weighted = spec.weight is not None
    if what in registry.TASKS:
        return registry.statement_columns(what, probs=bool(spec.probs) or what != "multiclass", weight=weighted)
    columns = OUTPUTS[what]
    if weighted and "invalid_score_rows" in columns:  # the curves, with --weight
        at = columns.index("invalid_score_rows") + 1
        columns = columns[:at] + (registry.WEIGHT_COUNT,) + columns[at:]
    elif weighted:  # the multiclass views
        if what == "confusion":  # each cell's summed weight, after its row count
            columns = columns[:3] + ("weight",) + columns[3:]
        columns += (registry.WEIGHT_COUNT,)
    return columns


def view_counts(spec: EvalSpec) -> tuple[str, ...]:
    """The per-group counts a multiclass view carries on each row (checked, then dropped)."""
    return registry.VIEW_COUNTS + ((registry.WEIGHT_COUNT,) if spec.weight is not None else ())


def binary_counts(spec: EvalSpec) -> tuple[str, ...]:
    """The per-group counts a binary curve carries on each row (checked, then dropped)."""
    counts = registry.BINARY_COUNTS
    return counts[:2] + ((registry.WEIGHT_COUNT,) if spec.weight is not None else ()) + counts[2:]


def refuse_output_names(spec: EvalSpec, command: str, *, view: str = "metrics", kind: str | None = None,
                        models: tuple[str, ...] = ()) -> None:
    """Refuse a group column named like a column ``command`` returns with ``spec``'s options (registry.output_names):
    the result would have two columns of one name, or the group's values silently replaced."""
    names = registry.output_names(command, task=spec.task, view=view, kind=kind, probs=bool(spec.probs),
                                  weight=spec.weight is not None, ci=spec.ci is not None,
                                  slices=spec.min_slice_rows is not None, models=models)
    outputs = {n.lower() for n in names}
    clashing = [c for c in spec.by if c.lower() in outputs]
    if clashing:
        shown = f"curve {kind}" if command == "curve" else command
        raise BqmlToolsError(
            f"group column {clashing[0]!r} has the name of a column {shown} returns; rename it in a view "
            f"first (SELECT *, {clashing[0]} AS {clashing[0]}_group FROM ...) and group by the new name"
        )

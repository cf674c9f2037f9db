"""Files the CLI writes (--output, --plot, --save): checked before anything runs, written atomically."""
from __future__ import annotations

import os
from typing import Any, Sequence

from ..errors import BqmlToolsError

PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def save_plot(kind: str, frame: Any, path: str, replace: bool) -> None:
    """Draw ``frame`` with bqml_tools.plots and save it like --output (see ``_save_figure``)."""
    from ..present.plots import CURVE_PLOTS

    save_figure(CURVE_PLOTS[kind](frame), path, replace)


def check_output(path: str, source: str | None, replace: bool, option: str = "--output",
                 suffixes: Sequence[str] | None = None) -> None:
    """Refuse, before anything runs, an output that would destroy data or be written in the wrong format."""
    from ..engines.publish import output_format

    if suffixes is None:
        output_format(path)
    elif os.path.splitext(path)[1].lower() not in suffixes:
        raise BqmlToolsError(f"{option} {path!r} has an unknown suffix: write {', '.join(suffixes)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BqmlToolsError(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise BqmlToolsError(f"{option} {path}: folder {folder} is not writable")
    if not os.path.lexists(path):
        return
    if os.path.islink(path) and not os.path.exists(path):  # samefile would fail with the raw errno text
        raise BqmlToolsError(f"{option} {path} is a symbolic link to {os.readlink(path)}, which does not exist: "
                             "remove the link or choose another path")
    if source is not None and os.path.exists(source) and os.path.samefile(path, source):
        raise BqmlToolsError(f"{option} {path} is the input file {source}: write the rows to another file")
    if os.path.isdir(path):
        raise BqmlToolsError(f"{option} {path} is a folder: give a file path")
    if not replace:
        hint = "pass --replace to overwrite it" if option in ("--output", "--plot") else "remove it or choose another path"
        raise BqmlToolsError(f"{option} {path} already exists: {hint}")


def save_figure(figure: Any, path: str, replace: bool) -> None:
    """Save a drawn figure like --output: a temporary file next to ``path``, renamed into place only
    when complete, never over an existing file without ``replace``; the figure is closed either way."""
    import secrets

    from ..engines.publish import publish

    folder, name = os.path.split(os.path.abspath(path))
    suffix = os.path.splitext(path)[1].lower()
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.tmp{suffix}")
    try:
        figure.savefig(temporary, format=suffix[1:], bbox_inches="tight")
        publish(temporary, path, replace)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)
        if os.path.lexists(temporary):
            os.unlink(temporary)


def check_plot(plot: str | None, replace: bool, source: str) -> None:
    """--plot PATH (and --replace) of curve and training, checked before anything runs."""
    if replace and plot is None:
        raise BqmlToolsError("--replace goes with --plot PATH")
    if plot is not None:
        check_output(plot, source, replace, option="--plot", suffixes=PLOT_SUFFIXES)

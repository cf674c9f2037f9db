"""Files written atomically: the output formats by suffix, and the no-clobber move into place."""
from __future__ import annotations

import os

from ..core.options import refusal
from ..errors import BqmlToolsError, DestinationExists


# COPY options per output suffix; anything else is refused rather than silently written as CSV.
OUTPUT_FORMATS = {".parquet": "PARQUET", ".pq": "PARQUET", ".csv": "CSV, HEADER", ".tsv": "CSV, HEADER, DELIMITER '\t'"}


def output_format(path: str) -> str:
    """The COPY format for ``path``'s suffix, or a one-line error listing the accepted suffixes."""
    fmt = OUTPUT_FORMATS.get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise BqmlToolsError(f"output file {path!r} has an unknown suffix: write {', '.join(OUTPUT_FORMATS)}")
    return fmt


def publish(temporary: str, path: str, replace: bool) -> None:
    """Move the finished file into place: os.replace, or a hard link that fails if ``path`` appeared."""
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # atomic no-clobber: FileExistsError when another run got there first
    except FileExistsError:
        raise refusal(f"output file {path} already exists: pass [[replace=True]] to overwrite it", error=DestinationExists) from None
    except OSError:  # a file system without hard links: the check above is the best we can do
        if os.path.lexists(path):
            raise refusal(f"output file {path} already exists: pass [[replace=True]] to overwrite it", error=DestinationExists) from None
        os.replace(temporary, path)

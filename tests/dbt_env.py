"""dbt-core and dbt-duckdb in their own virtual environment, for the dbt package's integration test.

Provisioned on first use into ``.cache/dbt/venv`` (git-ignored): one pip install of dbt's pinned
packages plus this checkout (editable, so the ``bqml_tools.dbt_duckdb`` plugin dbt loads is the
working tree's), so dbt's pins (protobuf, networkx, ...) never touch the project's environment.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".cache" / "dbt" / "venv"
REQUIREMENTS = ["dbt-core==1.11.16", "dbt-duckdb==1.11.1"]


class DbtUnavailable(RuntimeError):
    pass


def bin_path(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def provision() -> Path:
    """Create the venv when missing or its pins changed (cached); return the ``dbt`` executable."""
    marker = VENV / ".provisioned"
    wanted = "\n".join(REQUIREMENTS + [str(ROOT)])
    if not marker.exists() or marker.read_text() != wanted:
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True,
                           capture_output=True, text=True)
            subprocess.run([str(bin_path("python")), "-m", "pip", "install", "--quiet", *REQUIREMENTS,
                            "-e", str(ROOT)], check=True, capture_output=True, text=True, timeout=1200)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            tail = (getattr(error, "stderr", "") or "").strip().splitlines()[-1:] or [str(error)]
            raise DbtUnavailable(f"could not install {' '.join(REQUIREMENTS)}: {tail[0]}") from None
        marker.write_text(wanted)
    return bin_path("dbt")


if __name__ == "__main__":
    print(provision())

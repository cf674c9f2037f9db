"""A BigQuery-API emulator (PyPI's bqemulator) on loopback, in its own virtual environment.

Provisioned on first use into ``.cache/bqemulator`` (git-ignored): one pip install, so its pins
(duckdb==1.5.5, sqlglot<30.12) never touch the project's. Offline, DuckDB's spatial extension
comes from the ``duckdb-extension-spatial`` wheel, installed into DuckDB's extension directory
before the emulator starts (the emulator would otherwise download it at start-up).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".cache" / "bqemulator"
REQUIREMENTS = ["bqemulator==1.4.0", "duckdb-extension-spatial==1.5.5", "duckdb-extensions==1.5.5", "numpy"]
PROJECT = "bqml-test"


class EmulatorUnavailable(RuntimeError):
    pass


def _bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def provision() -> None:
    """Create the emulator's venv when missing (cached), then install the spatial extension."""
    marker = VENV / ".provisioned"
    wanted = "\n".join(REQUIREMENTS)
    if not marker.exists() or marker.read_text() != wanted:
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, capture_output=True, text=True)
            subprocess.run([str(_bin("python")), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
                           check=True, capture_output=True, text=True, timeout=900)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            tail = (getattr(error, "stderr", "") or "").strip().splitlines()[-1:] or [str(error)]
            raise EmulatorUnavailable(f"could not install {' '.join(REQUIREMENTS)}: {tail[0]}") from None
        marker.write_text(wanted)
    result = subprocess.run(
        [str(_bin("python")), "-c", "import duckdb_extensions; duckdb_extensions.import_extension('spatial')"],
        capture_output=True, text=True)
    if result.returncode != 0:
        raise EmulatorUnavailable(f"could not install DuckDB's spatial extension: {result.stderr.strip()[-300:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Emulator:
    process: subprocess.Popen
    endpoint: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def start(log_dir: Path, timeout: float = 120.0) -> Emulator:
    provision()
    rest, grpc = _free_port(), _free_port()
    log = log_dir / "bqemulator.log"
    handle = log.open("w")
    process = subprocess.Popen(
        [str(_bin("bqemulator")), "start", "--rest-host", "127.0.0.1", "--rest-port", str(rest),
         "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc), "--project", PROJECT,
         "--log-level", "warning", "--log-format", "console"],
        stdout=handle, stderr=subprocess.STDOUT, cwd=log_dir, start_new_session=True)
    endpoint = f"http://127.0.0.1:{rest}"
    emulator = Emulator(process, endpoint, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorUnavailable(f"the emulator exited with status {process.returncode}: "
                                      f"{log.read_text().strip()[-400:]}")
        try:
            with urllib.request.urlopen(f"{endpoint}/bigquery/v2/projects/{PROJECT}/datasets", timeout=2) as reply:
                if reply.status == 200:
                    return emulator
        except OSError:
            time.sleep(0.5)
    emulator.stop()
    raise EmulatorUnavailable(f"the emulator did not answer on {endpoint} within {timeout:.0f} s")

"""Target 4 of issue 8: CLI start-up. Median wall time of whole ``bqml-tools`` processes.

Commands timed (each a fresh process, like a user typing it):
  - ``python -c pass``: the interpreter alone, subtracted to give each command's overhead
  - ``bqml-tools which-split 17 --key user_id`` side by side with ``python -c "import duckdb"``
    (issue 16: a small command within 0.15 s of importing DuckDB): the two alternate run by run, so
    both see the same machine load, and the difference and ratio of their medians are printed
  - ``bqml-tools --help``
  - ``bqml-tools fingerprint x``
  - ``bqml-tools split small.parquet --key user_id`` on a 1,000-row Parquet file (DuckDB)
each warm (the same command run before: Python bytecode and the compiled SQL templates cached,
what a user sees every day) and cold (a fresh, empty bytecode cache via PYTHONPYCACHEPREFIX and
no template cache, so every module imported and every template is compiled again: harsher than
the first run after pip install, which compiles bytecode at install time). Also the modules each
command imports (sys.modules), to show what stays unloaded. Prints, never asserts.

Usage:  python benchmarks/bench_startup.py [RUNS]     (default 7 warm runs, 3 cold)
Profile an import with:  python -X importtime -m bqml_tools.cli --help 2> imports.txt
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import figure, header  # noqa: E402

HEAVY = ("pandas", "duckdb", "pyarrow", "numpy", "numba", "jinja2", "google.cloud.bigquery")
# the entry point bqml-tools runs, in this interpreter (the venv's console script does the same)
CLI = [sys.executable, "-c", "import sys; from bqml_tools.cli import main; sys.argv[0] = 'bqml-tools'; main()"]


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-4:])} failed: {done.stderr.strip()}")
    return elapsed


def median_wall(argv: list[str], runs: int, cold: bool) -> float:
    times = []
    for _ in range(runs):
        env = dict(os.environ)
        prefix = tempfile.mkdtemp(prefix="bqml-pycache-") if cold else None
        if prefix:
            env["PYTHONPYCACHEPREFIX"] = prefix
            env["BQML_TOOLS_NO_TEMPLATE_CACHE"] = "1"  # and the SQL templates compiled again too
        try:
            times.append(wall(argv, env))
        finally:
            if prefix:
                shutil.rmtree(prefix, ignore_errors=True)
    return statistics.median(times)


def side_by_side(first: list[str], second: list[str], runs: int) -> tuple[float, float]:
    """Median wall times of two commands run alternately (first, second, first, ...), warm."""
    env = dict(os.environ)
    wall(first, env), wall(second, env)  # warm-up
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        times[0].append(wall(first, env))
        times[1].append(wall(second, env))
    return statistics.median(times[0]), statistics.median(times[1])


def loaded(args: list[str]) -> list[str]:
    """The heavy modules a command has imported when it finishes."""
    code = ("import sys, atexit\n"
            f"atexit.register(lambda: sys.__stderr__.write('LOADED ' + ' '.join(m for m in {HEAVY!r} "
            "if m in sys.modules) + '\\n'))\n"
            "from bqml_tools.cli import main\n"
            f"sys.argv = ['bqml-tools'] + {args!r}\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = next((x for x in done.stderr.splitlines() if x.startswith("LOADED")), "LOADED ?")
    return line.split()[1:]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    cold_runs = max(1, min(3, runs))
    header("bench_startup: bqml-tools process start-up (issue 8, target 4: well under 0.5 s of overhead)",
           f"python benchmarks/bench_startup.py {runs}")
    import duckdb

    folder = tempfile.mkdtemp(prefix="bqml-startup-")
    try:
        small = os.path.join(folder, "small.parquet")
        duckdb.sql(f"COPY (SELECT range AS user_id, range % 2 AS label FROM range(1000)) TO '{small}' (FORMAT PARQUET)")
        which = ["which-split", "17", "--key", "user_id"]
        small_command, duck = side_by_side([*CLI, *which], [sys.executable, "-c", "import duckdb"], runs)
        figure("python -c 'import duckdb', warm", duck, "s", f"median of {runs}, alternating with the next", digits=3)
        figure("bqml-tools which-split 17 --key user_id, warm", small_command, "s",
               f"{small_command - duck:+.3f} s vs import duckdb (target: within +0.150 s); ratio "
               f"{small_command / duck:.2f}", digits=3)
        print(f"  imports: {', '.join(loaded(which)) or 'none of ' + ', '.join(HEAVY)}", flush=True)
        commands = {
            "--help": ["--help"],
            "fingerprint x": ["fingerprint", "x"],
            "split small.parquet (1,000 rows, DuckDB)": ["split", small, "--key", "user_id"],
        }
        base_warm = median_wall([sys.executable, "-c", "pass"], runs, cold=False)
        base_cold = median_wall([sys.executable, "-c", "pass"], cold_runs, cold=True)
        figure("python -c pass, warm", base_warm, "s", "the interpreter alone", digits=3)
        figure("python -c pass, cold", base_cold, "s", "", digits=3)
        for name, args in commands.items():
            wall([*CLI, *args], dict(os.environ))  # warm-up: bytecode (and numba's cache) in place
            warm = median_wall([*CLI, *args], runs, cold=False)
            cold = median_wall([*CLI, *args], cold_runs, cold=True)
            figure(f"bqml-tools {name}, warm", warm, "s",
                   f"overhead {warm - base_warm:.3f} s over the interpreter; median of {runs}", digits=3)
            figure(f"bqml-tools {name}, cold", cold, "s",
                   f"overhead {cold - base_cold:.3f} s; empty bytecode cache, median of {cold_runs}", digits=3)
            print(f"  imports: {', '.join(loaded(args)) or 'none of ' + ', '.join(HEAVY)}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

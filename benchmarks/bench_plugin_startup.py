"""The plugin's added import and collection cost against plain pytest, on 2,000 trivial tests.

pytest loads pytest-pipelines through its ``pytest11`` entry point in every run on a machine
where it is installed, eval suite or not; this measures what that costs a suite that has no
eval tests at all. It generates 2,000 trivial tests (20 files of 100) in a temporary directory
with its own ``pytest.ini``, then times, in fresh interpreters:

- ``pytest --collect-only -q`` with the plugin and with ``-p no:pipelines`` (plain pytest);
- optionally (``--run``) the full run of the 2,000 tests, both ways;
- ``import pytest_pipelines.plugin`` on top of ``import pytest``.

Each measurement is repeated (``--repeat``, default 7) in alternating order; the script prints
the medians and the ratio plugin/plain. No asserts.

    python benchmarks/bench_plugin_startup.py [--repeat 7] [--run]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = 20
TESTS_PER_FILE = 100


def generate(root: Path) -> None:
    """2,000 trivial tests and an ini file that isolates them from any surrounding config."""
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    for f in range(FILES):
        body = "\n\n".join(
            f"def test_{f}_{t}():\n    assert {t} + 1 == {t + 1}" for t in range(TESTS_PER_FILE)
        )
        (root / f"test_trivial_{f:02d}.py").write_text(body + "\n")


def timed(cmd: list[str], cwd: Path) -> float:
    """Wall time of one subprocess (which must succeed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PIPELINES_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}")
    return elapsed


def compare(name: str, plugin_cmd: list[str], plain_cmd: list[str], cwd: Path, repeat: int) -> None:
    """Run both commands ``repeat`` times, alternating, and print medians and the ratio."""
    with_plugin: list[float] = []
    plain: list[float] = []
    timed(plugin_cmd, cwd)  # warm the OS file cache once
    for i in range(repeat):
        order = [(plugin_cmd, with_plugin), (plain_cmd, plain)]
        for cmd, bucket in order if i % 2 == 0 else reversed(order):
            bucket.append(timed(cmd, cwd))
    a, b = statistics.median(with_plugin), statistics.median(plain)
    print(
        f"{name:<34} plugin {a * 1000:7.0f} ms   plain {b * 1000:7.0f} ms   "
        f"added {(a - b) * 1000:+6.0f} ms   ratio {a / b:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="repetitions (median is kept)")
    parser.add_argument("--run", action="store_true", help="also time the full test run")
    args = parser.parse_args()

    py = sys.executable
    print(f"{FILES * TESTS_PER_FILE} trivial tests, {args.repeat} repetitions, median wall time")
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as tmp:
        root = Path(tmp)
        generate(root)
        pytest_cmd = [py, "-m", "pytest", "-q"]
        compare(
            "collect-only",
            [*pytest_cmd, "--collect-only"],
            [*pytest_cmd, "--collect-only", "-p", "no:pipelines"],
            root,
            args.repeat,
        )
        if args.run:
            compare("full run", pytest_cmd, [*pytest_cmd, "-p", "no:pipelines"], root, args.repeat)
        compare(
            "import pytest + the plugin module",
            [py, "-c", "import pytest, pytest_pipelines.plugin"],
            [py, "-c", "import pytest"],
            root,
            args.repeat,
        )


if __name__ == "__main__":
    main()

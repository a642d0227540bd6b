"""``.ci/run``: exit codes, its temporary virtualenv removed, the SDK guide passed on when present.

The script is run for real by bash, with ``python3`` (and the virtualenv it makes) replaced by
small stand-ins on ``PATH``, so no package is installed: the stand-in ``python -m pytest``
exits with the code the test asks for and writes down ``$PIPELINES_SDK_GUIDE``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE_PYTHON3 = """#!/usr/bin/env bash
# stand-in for `python3 -m venv DIR`: a virtualenv whose tools are stand-ins too
[ "$1 $2" = "-m venv" ] || exit 99
mkdir -p "$3/bin"
printf 'PATH="%s/bin:$PATH"\\n' "$3" > "$3/bin/activate"
cp "$FAKE_BIN/python" "$3/bin/python"
printf '#!/usr/bin/env bash\\nexit 0\\n' > "$3/bin/ruff"
printf '#!/usr/bin/env bash\\nexit 0\\n' > "$3/bin/mypy"
chmod +x "$3/bin/"*
"""
FAKE_PYTHON = """#!/usr/bin/env bash
# stand-in for the virtualenv's python: pip succeeds, pytest exits with $FAKE_PYTEST_RC
if [ "$1 $2" = "-m pytest" ]; then
    printf '%s' "${PIPELINES_SDK_GUIDE:-unset}" > "$FAKE_LOG"
    exit "$FAKE_PYTEST_RC"
fi
exit 0
"""


def run_ci(tmp_path: Path, pytest_rc: int, *, guide: bool = False) -> tuple[int, str, Path]:
    """Run a copy of ``.ci/run`` in ``tmp_path/clone``; returns (exit code, guide seen, TMPDIR)."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    clone = tmp_path / "clone"
    (clone / ".ci").mkdir(parents=True)
    shutil.copy2(ROOT / ".ci" / "run", clone / ".ci" / "run")
    if guide:
        contract = tmp_path / "shared" / "contract"
        contract.mkdir(parents=True)
        (contract / "sdk-guide.txt").write_text("the guide\n", encoding="utf-8")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for name, text in (("python3", FAKE_PYTHON3), ("python", FAKE_PYTHON)):
        (fake_bin / name).write_text(text, encoding="utf-8")
        (fake_bin / name).chmod(0o755)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    log = tmp_path / "guide.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PIPELINES_CI_VENV", "PIPELINES_SDK_GUIDE", "VIRTUAL_ENV")
    }
    env.update(
        PATH=f"{fake_bin}{os.pathsep}{env.get('PATH', '')}",
        TMPDIR=str(scratch),
        FAKE_BIN=str(fake_bin),
        FAKE_LOG=str(log),
        FAKE_PYTEST_RC=str(pytest_rc),
    )
    proc = subprocess.run(
        ["bash", str(clone / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )
    seen = log.read_text(encoding="utf-8") if log.exists() else "(pytest did not run)"
    return proc.returncode, seen, scratch


@pytest.mark.parametrize(("pytest_rc", "expected"), [(0, 0), (1, 1), (3, 3), (5, 1)])
def test_exits_with_pytests_code_and_no_tests_is_a_failure(
    tmp_path: Path, pytest_rc: int, expected: int
) -> None:
    rc, _, _ = run_ci(tmp_path, pytest_rc)
    assert rc == expected


@pytest.mark.parametrize("pytest_rc", [0, 1])
def test_removes_its_virtualenv(tmp_path: Path, pytest_rc: int) -> None:
    _, _, scratch = run_ci(tmp_path, pytest_rc)
    assert list(scratch.iterdir()) == []


def test_passes_the_sdk_guide_on_when_the_contract_folder_is_beside(tmp_path: Path) -> None:
    _, seen, _ = run_ci(tmp_path, 0, guide=True)
    assert Path(seen) == (tmp_path / "shared" / "contract" / "sdk-guide.txt").resolve()


def test_leaves_the_sdk_guide_unset_on_a_lone_clone(tmp_path: Path) -> None:
    _, seen, _ = run_ci(tmp_path, 0)
    assert seen == "unset"

"""The repository tests itself: a copy with nothing beside it passes the contract-reading tests.

The API contract (route table, seed method names) the tests need is our own data in
``tests/data/``; the SDK guide is read from ``$PIPELINES_SDK_GUIDE`` only, and without it the
test that runs its calls is skipped with its reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The slow part of the seed-method module (every method against a live backend) adds nothing
# here: which files the tests read is decided at collection and by the quick tests.
GUIDE_TEST = "tests/client/test_client_guide.py"
SKIP_SLOW = "not test_every_seed_method or test_seed_methods_exist_on_both_clients"


def contract_tests() -> list[str]:
    """The test modules that read contract facts (before: from ../shared/contract/)."""
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name != "test_fresh_clone.py" and any(
            name in text for name in ("routes.tsv", "seed-methods.txt", "sdk-guide")
        ):
            found.append(path.relative_to(ROOT).as_posix())
    return found


def _tracked_files() -> list[str]:
    """Files a clone would have: tracked, or new and not ignored (``git ls-files``)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot tell which files a clone would have")
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name and (ROOT / name).is_file()]


def test_a_copy_with_no_shared_folder_beside_it_passes(tmp_path: Path) -> None:
    clone = tmp_path / "pytest-pipelines"
    for name in _tracked_files():
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, target)
    assert not (clone.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k != "PIPELINES_SDK_GUIDE"}
    modules = contract_tests()
    assert len(modules) >= 4, modules  # the guide, the client surface, route coverage, seeds
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "-k",
            SKIP_SLOW,
            *modules,
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "PIPELINES_SDK_GUIDE is not set" in proc.stdout
    assert " passed" in proc.stdout


def test_the_guide_test_names_a_missing_guide(tmp_path: Path) -> None:
    env = {**os.environ, "PIPELINES_SDK_GUIDE": str(tmp_path / "nowhere.txt")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", GUIDE_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # the module skips itself whole: nothing is collected, and the reason is in the summary
    assert proc.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, proc.stdout[-2000:]
    assert "1 skipped" in proc.stdout
    assert f"{tmp_path / 'nowhere.txt'}" in proc.stdout
    assert "which is not a file" in proc.stdout

"""The code of docs/quickstart.md runs as written.

A fenced block whose first line is ``# <file name>`` is written to that file in a fresh
directory; pytest then runs there in a subprocess (local mode, demo data, as the page says). A
block whose first line is ``# standalone script`` runs as a Python script.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "docs" / "quickstart.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
FILE_HEADER = re.compile(r"^# ([\w.-]+\.\w+)\n")
SCRIPT_HEADER = "# standalone script\n"


def _blocks(page: Path) -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in FENCE.findall(page.read_text())]


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "PIPELINES_")) and k != "GITHUB_STEP_SUMMARY"
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["COLUMNS"] = "200"
    return env


def _start(cmd: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cmd, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=180)
    return proc.returncode, out


def _files(page: Path) -> dict[str, str]:
    files = {}
    for _lang, body in _blocks(page):
        match = FILE_HEADER.match(body)
        if match:
            files[match.group(1)] = body
    return files


def test_quickstart_has_the_blocks_this_test_runs() -> None:
    files = _files(QUICKSTART)
    assert set(files) == {"pytest.ini", "test_rome.py"}
    scripts = [b for _, b in _blocks(QUICKSTART) if b.startswith(SCRIPT_HEADER)]
    assert len(scripts) == 1


def test_quickstart_suite_and_script_run(tmp_path: Path) -> None:
    files = _files(QUICKSTART)
    suite = tmp_path / "suite"
    stricter = tmp_path / "stricter"
    for directory in (suite, stricter):
        directory.mkdir()
        for name, body in files.items():
            (directory / name).write_text(body)
    # The page says: change min_mean=3.5 of test_baseline to 4.5 and the test fails.
    test_file = stricter / "test_rome.py"
    text = test_file.read_text()
    assert text.count("min_mean=3.5)\ndef test_baseline") == 1
    test_file.write_text(
        text.replace("min_mean=3.5)\ndef test_baseline", "min_mean=4.5)\ndef test_baseline")
    )
    [script] = [b for _, b in _blocks(QUICKSTART) if b.startswith(SCRIPT_HEADER)]
    (tmp_path / "script.py").write_text(script)

    pytest_cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA"]
    runs = {
        "suite": _start(pytest_cmd, suite),
        "stricter": _start([*pytest_cmd, "-k", "test_baseline"], stricter),
        "script": _start([sys.executable, "script.py"], tmp_path),
    }
    results = {name: _finish(proc) for name, proc in runs.items()}

    code, out = results["suite"]
    assert code == 0, out
    assert out.strip().splitlines()[-1].count("5 passed") == 1, out
    assert "pipelines results" in out
    assert "variants side by side:" in out
    for item in ("test_variants[baseline]", "test_variants[detailed]", "test_research_tools"):
        assert f"PASSED test_rome.py::{item}" in out, out

    code, out = results["stricter"]
    assert code == 1, out
    assert re.search(r"Itinerary Quality Judge\s+mean\s+\S+\s+>= 4\.5\s+MISS", out), out

    code, out = results["script"]
    assert code == 0, out
    lines = out.strip().splitlines()
    assert len(lines) == 6, out  # 2 tasks x 3 criteria of the demo evaluation
    assert {line.split(" ", 1)[1].rsplit(" ", 2)[0] for line in lines} == {
        "Mentions Rome Highlights",
        "Has Day Number",
        "Itinerary Quality Judge",
    }


@pytest.mark.parametrize(
    "page",
    [
        ROOT / "docs" / name
        for name in (
            "quickstart.md",
            "concepts.md",
            "verdicts.md",
            "limitations.md",
            "how-to/ci-gating.md",
            "how-to/xdist.md",
            "how-to/local-backend.md",
            "how-to/verdict-hook.md",
        )
    ],
    ids=lambda p: p.name,
)
def test_doc_links_resolve(page: Path) -> None:
    assert page.exists(), f"{page} is missing"
    for target in re.findall(r"\]\(([^)#:]+\.(?:md|yml|py|ini))(?:#[^)]*)?\)", page.read_text()):
        assert (page.parent / target).resolve().exists(), f"{page.name}: broken link {target}"


VERDICT_PAGE = ROOT / "docs" / "how-to" / "verdict-hook.md"
VERDICT_INI = """[pytest]
pipelines_env = local
pipelines_demo = true
markers =
    noisy_judge: the judge of this test is noisy
"""
VERDICT_TESTS = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(project=22, workflow=10, count=2)


@pytest.mark.noisy_judge
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=4.9)
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
def test_noisy(pipelines_run):
    pass


@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=4.9)
def test_strict(pipelines_run):
    pass


@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=3)
def test_lenient(pipelines_run):
    pass


@pytest.mark.pipelines_model_swap(node="plan", model="echo")
@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_value=1)
def test_echo(pipelines_run):
    pass
"""


def test_verdict_hook_examples_work(tmp_path: Path) -> None:
    conftests = [b for _, b in _blocks(VERDICT_PAGE) if b.startswith("# conftest.py\n")]
    assert len(conftests) == 3
    release, noisy, export = conftests
    runs = {}
    for name, conftest in (("release", release), ("noisy", noisy), ("export", export)):
        directory = tmp_path / name
        directory.mkdir()
        (directory / "pytest.ini").write_text(VERDICT_INI)
        (directory / "conftest.py").write_text(conftest)
        (directory / "test_hooks.py").write_text(VERDICT_TESTS)
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-q"]
        env = _env()
        if name == "release":
            env["RELEASE_BUILD"] = "1"
        runs[name] = subprocess.Popen(
            cmd, cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    out = {name: _finish(proc) for name, proc in runs.items()}

    # The noisy-judge hook passes test_noisy despite its judge gate; the others keep their gates.
    code, text = out["noisy"]
    assert code == 1, text
    assert "PASSED test_hooks.py::test_noisy" in text
    assert "FAILED test_hooks.py::test_strict" in text
    assert "PASSED test_hooks.py::test_lenient" in text
    # Without the hook, test_noisy fails on its judge gate (the export run has no verdict hook).
    code, text = out["export"]
    assert "FAILED test_hooks.py::test_noisy" in text
    rows = [
        json.loads(line)
        for line in (tmp_path / "export" / "eval-scores.jsonl").read_text().splitlines()
    ]
    assert {r["test"].split("::")[1] for r in rows} == {
        "test_noisy",
        "test_strict",
        "test_lenient",
        "test_echo",
    }
    assert "PASSED test_hooks.py::test_echo" in text
    assert {r["criterion"] for r in rows} >= {"Mentions Rome Highlights", "Itinerary Quality Judge"}
    # The release hook defers to the gates when every boolean criterion passed (the demo's do).
    code, text = out["release"]
    assert "PASSED test_hooks.py::test_lenient" in text
    assert "FAILED test_hooks.py::test_strict" in text
    # ... and fails a test whose boolean criteria fail (echo repeats the prompt: no sights, no
    # "Day 1"), with the Verdict's message, although its declared gate holds.
    assert "FAILED test_hooks.py::test_echo" in text
    assert "release build: 'Mentions Rome Highlights' failed on 2 of 2 tasks" in text


def test_local_backend_guide_custom_model_example(tmp_path: Path) -> None:
    files = _files(ROOT / "docs" / "how-to" / "local-backend.md")
    assert set(files) == {"my_models.py", "pytest.ini", "test_shouty.py"}
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    proc = _start([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"], tmp_path)
    code, out = _finish(proc)
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("1 passed"), out

"""The example suite (README's main command) passes, and its intentionally failing file fails.

Both run as real subprocesses from the repository root, exactly as a user types them, with
``examples/pytest.ini`` as the inifile (local mode, demo data, the custom model). The two runs
are started together so the test costs one run's wall time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

#: test items of the main example suite (test_itinerary_variants counts three variants)
EXPECTED_PASSED = 19
#: of which eval tests (the others test the client or the local backend directly)
EXPECTED_EVAL_ITEMS = 17


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # What the outer run may have set must not change the inner one.
    for name in list(env):
        if name.startswith(("PYTEST_", "PIPELINES_")) or name == "GITHUB_STEP_SUMMARY":
            del env[name]
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["COLUMNS"] = "200"
    return env


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=180)
    return proc.returncode, out


def _counts(out: str) -> dict[str, int]:
    last = out.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", last)}


def test_examples_pass_and_the_failing_gate_fails_readably(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    main = _start("examples", f"--pipelines-html={html}")
    failing = _start(
        "examples/failing",
        f"--pipelines-junitxml={tmp_path / 'failing.xml'}",
        f"--pipelines-summary-md={tmp_path / 'failing.md'}",
    )
    parallel = _start("examples", "-n", "2", "-rA")
    code, out = _finish(main)
    fcode, fout = _finish(failing)
    pcode, pout = _finish(parallel)

    # The README's main command: green, every example collected, the results table printed.
    assert code == 0, out
    assert "configfile: pytest.ini" in out
    assert _counts(out) == {"passed": EXPECTED_PASSED}, out
    assert "pipelines results" in out
    assert re.search(r"test\s+variant\s+criterion\s+value\s+gate\s+verdict", out), out
    assert "variants side by side:" in out
    for criterion in (
        "Exact Match",
        "Valid Itinerary JSON",
        "Coherence",
        "Traveller Rating",
        "Mentions Rome Highlights",
        "Has Day Number",
        "Itinerary Quality Judge",
        "tools research.notes",
    ):
        assert criterion in out, criterion
    assert "test_intentionally_failing_gate" not in out

    # The README's xdist line: the same items pass on 2 workers, with the same table.
    assert pcode == 0, pout
    assert _counts(pout) == {"passed": EXPECTED_PASSED}, pout
    assert "variants side by side:" in pout
    for variant in ("baseline", "concise", "guide"):
        assert (
            f"PASSED examples/test_rome_experiment.py::test_itinerary_variants[{variant}]" in pout
        )

    # The intentionally failing file: a FAILURE (not an error) with a readable gate table.
    assert fcode == 1, fout
    assert _counts(fout) == {"failed": 1}, fout
    assert "1 of 2 gate threshold(s) missed" in fout
    assert re.search(r"criterion\s+metric\s+observed\s+threshold\s+verdict", fout), fout
    assert re.search(r"Itinerary Quality Judge\s+mean\s+3\.5\s+>= 4\.5\s+MISS", fout), fout
    assert re.search(r"Mentions Rome Highlights\s+pass_rate\s+1\s+>= 1\s+pass", fout), fout
    # the worst examples: task id, an output excerpt and the judge's reason
    assert re.search(r"task \d+: \"Day 1: Colosseum", fout), fout
    assert "judge demo-judge answered" in fout

    # The README's command with --pipelines-html: a page with every eval test and its charts.
    page = html.read_text(encoding="utf-8")
    sections = re.findall(r'<section class="test"[^>]*data-outcome="(\w+)"', page)
    assert len(sections) == EXPECTED_EVAL_ITEMS, sections
    assert set(sections) == {"passed"}
    for criterion in ("Exact Match", "Coherence", "Itinerary Quality Judge"):
        assert f'aria-label="distribution of {criterion}"' in page, criterion
    assert "Variants side by side" in page

    # The failing file's detailed report: the schema's rules, the failure text GitLab shows,
    # the location GitHub annotates (relative to the repository root, the def line).
    from junit_rules import violations

    root = ET.parse(tmp_path / "failing.xml").getroot()
    assert violations(root) == []
    (suite,) = root.iter("testsuite")
    file = str(suite.get("file"))
    assert file == "examples/failing/test_intentionally_failing_gate.py"
    failure = suite.find(".//failure")
    assert failure is not None
    assert failure.get("message") == "gate mean >= 4.5: observed 3.5"
    where = re.search(rf" {re.escape(file)}:(\d+)", str(failure.text))
    assert where is not None
    line = (ROOT / file).read_text().splitlines()[int(where.group(1)) - 1]
    assert line.startswith("def test_"), line
    md = (tmp_path / "failing.md").read_text(encoding="utf-8")
    assert "❌ FAILED" in md
    assert "<details><summary>FAILED:" in md


def test_examples_junit_report(tmp_path: Path) -> None:
    report = tmp_path / "pipelines.xml"
    code, out = _finish(_start("examples/test_rome_tools.py", f"--pipelines-junitxml={report}"))
    assert code == 0, out
    from junitparser import JUnitXml

    xml = JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert [s.name for s in suites] == ["test_rome_tools.py::test_research_calls_the_right_tools"]
    cases = {c.name for c in suites[0]}
    assert "Mentions Rome Highlights" in cases
    assert any("research.notes" in name for name in cases), cases

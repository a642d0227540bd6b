"""The HTML report: self-contained, hostile text escaped, and what a browser shows of it.

The browser test loads the page in headless Chromium (``chromium --headless --dump-dom``, which
prints the DOM after the page's script ran) and is skipped, with the reason, where none is
installed; ``.ci/run`` installs Chromium so CI runs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SUITE = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=2)

@pytest.mark.pipelines_variants(
    baseline={},
    echo={"models": [{"nodeId": "plan", "modelSlug": "echo"}]},
)
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8)
@pytest.mark.pipelines_tool_gate("notes", min_score=1.0)
def test_variants(pipelines_run):
    pass

@pytest.mark.pipelines_model_swap("plan", "no-such-model")
def test_broken(pipelines_run):
    pass
"""

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.fixture
def report(pytester: pytest.Pytester, remote_args: list[str]) -> Path:
    """The HTML report of a run with a pass, a gate miss and a broken run."""
    pytester.makepyfile(test_eval=SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-html=out/report.html")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    path = pytester.path / "out" / "report.html"
    result.stdout.fnmatch_lines([f"pipelines: HTML report written to {path}"])
    return path


def test_html_report_is_self_contained(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    # nothing is fetched: no src/href attributes, no url() in the CSS, no @import
    assert re.findall(r"\b(?:src|href)\s*=", page) == []
    assert "url(" not in page
    assert "@import" not in page
    assert "default-src 'none'" in page
    assert page.count("<svg") >= 6  # a chart per criterion of each run, intervals aside
    for name in ("test_variants", "test_broken", "Mentions Rome Highlights", "no-such-model"):
        assert name in page


def _dump_dom(browser: str, url: str, tmp_path: Path) -> str:
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=2000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _sections(dom: str) -> dict[str, bool]:
    """Test id -> shown, from the dumped DOM (sections carry data-outcome and maybe hidden)."""
    shown = {}
    for m in re.finditer(r"<section ([^>]*class=\"test\"[^>]*)>\s*<header><h2>([^<]*)</h2>", dom):
        attrs, name = m.group(1), m.group(2)
        outcome = re.search(r'data-outcome="([^"]*)"', attrs)
        assert outcome is not None
        shown[f"{name}:{outcome.group(1)}"] = "hidden" not in attrs
    return shown


def test_html_report_in_a_browser(report: Path, tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip(f"no headless Chromium on PATH (looked for {', '.join(BROWSERS)})")
    url = report.as_uri()
    dom = _dump_dom(browser, url, tmp_path)
    # the script ran: it wrote the count, and every test is shown
    assert "3 of 3 tests shown" in dom
    assert _sections(dom) == {
        "test_eval.py::test_variants:passed": True,
        "test_eval.py::test_variants:failed": True,
        "test_eval.py::test_broken:error": True,
    }
    assert "<svg" in dom
    assert "Variants side by side" in dom
    # filtered by verdict from the URL, as a reviewer's link would
    failed = _dump_dom(browser, url + "#verdict=failed,error", tmp_path)
    assert "2 of 3 tests shown" in failed
    assert _sections(failed) == {
        "test_eval.py::test_variants:passed": False,
        "test_eval.py::test_variants:failed": True,
        "test_eval.py::test_broken:error": True,
    }
    searched = _dump_dom(browser, url + "#q=no-such-model", tmp_path)
    assert "1 of 3 tests shown" in searched
    assert [k for k, v in _sections(searched).items() if v] == ["test_eval.py::test_broken:error"]


def test_pytest_html_gets_the_eval_table_as_an_extra(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytest.importorskip("pytest_html", reason="pytest-html is not installed")
    pytester.makepyfile(test_eval=SUITE)
    result = pytester.runpytest(*remote_args, "--html=ph.html", "--self-contained-html")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    page = (pytester.path / "ph.html").read_text(encoding="utf-8")
    # pytest-html keeps its rows as escaped JSON in a data attribute
    assert "Mentions Rome Highlights" in page
    assert "gate on" in page
    # its styles apply to the extra only: pytest-html's own rows use the class names too
    assert ".pipelines .passed" in page
    assert ".passed,.xpassed{" not in page


def test_html_escapes_hostile_text() -> None:
    from pytest_pipelines._html import render_html
    from pytest_pipelines._record import CriterionRecord, Example, ItemRecord

    hostile = '<img src=x onerror="alert(1)">\x1b[31m</section><script>alert(2)</script>'
    rec = ItemRecord(
        nodeid=f"t.py::test_x[{hostile}]",
        test=f"t.py::test_x[{hostile}]",
        verdict="fail",
        outcome="failed",
        criteria=(
            CriterionRecord(
                name=hostile,
                type="boolean",
                n=1,
                passes=0,
                pass_rate=0.0,
                mean=0.0,
                min=0.0,
                max=0.0,
                errors=0,
                pending=0,
                values=(0.0,),
                examples=(Example(1, "#1", output=hostile, reason=hostile, inputs=hostile),),
            ),
        ),
    )
    page = render_html([rec])
    assert "<script>alert" not in page
    assert "<img" not in page
    assert "\x1b" not in page
    assert page.count("<section ") == 1  # the hostile </section> did not end it early
    ET.fromstring(page.split("<svg", 1)[1].split("</svg>", 1)[0].join(["<svg", "</svg>"]))

"""The report files as their consumers read them: Jenkins' schema rules, junitparser (which
EnricoMi/publish-unit-test-result-action uses), the file/line logic of
mikepenz/action-junit-report, GitLab (failure text), and the defects of issue 10, each with a
regression test: control characters, xfail/skip, errors before the run, causes, pending
ratings, gates on missing criteria, timings, stable names and split-safe classnames."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from junit_rules import violations

HOSTILE_CITY = "\x1b[31mRome\x1b[0m <script>alert(1)</script> | **bold** ]]> &amp; `x`"

HOSTILE = f"""
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=1, inputs={{"city": {HOSTILE_CITY!r}, "days": 2}})
@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1)
def test_hostile(pipelines_run):
    pass
"""


def _all_reports(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        *args,
        "--pipelines-junitxml=detail.xml",
        "--junitxml=plain.xml",
        "--pipelines-summary-md=summary.md",
        "--pipelines-html=report.html",
    )


def test_control_characters_in_outputs_do_not_break_any_report(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """Defect 1: an ANSI colour code in a model's output crashed the session at the end."""
    pytester.makepyfile(test_eval=HOSTILE)
    result = _all_reports(pytester, *remote_args, "-o", "junit_family=xunit1")
    result.assert_outcomes(failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["pipelines: detailed JUnit report written to *detail.xml"])
    assert "could not write" not in result.stdout.str()
    for name in ("detail.xml", "plain.xml"):
        text = (pytester.path / name).read_text(encoding="utf-8")
        assert "\x1b" not in text, name
        ET.fromstring(text.encode())  # well-formed
    detail = (pytester.path / "detail.xml").read_text(encoding="utf-8")
    assert "\\x1b[31mRome\\x1b[0m" in detail  # shown, not dropped
    md = (pytester.path / "summary.md").read_text(encoding="utf-8")
    page = (pytester.path / "report.html").read_text(encoding="utf-8")
    for text in (md, page):
        assert "<script>alert" not in text
        assert "\x1b" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md


SKIPS = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)

@pytest.mark.xfail(reason="known regression", strict=False)
@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1)
def test_known_bad(pipelines_run):
    pass

@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_skips_in_body(pipelines_run):
    pytest.skip("no budget today")

@pytest.mark.skip(reason="not this sprint")
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_skipped_by_marker(pipelines_run):
    pass
"""


def test_xfail_and_skip_are_respected_in_the_detailed_report(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """Defect 2: an xfailed test wrote <failure>; a test skipped in its body showed passes."""
    pytester.makepyfile(test_eval=SKIPS)
    result = _all_reports(pytester, *remote_args)
    result.assert_outcomes(xfailed=1, skipped=2)
    assert result.ret == 0
    root = ET.parse(pytester.path / "detail.xml").getroot()
    assert violations(root) == []
    assert root.get("failures") == "0"
    assert root.get("errors") == "0"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    xfailed = suites["test_eval.py::test_known_bad"]
    assert xfailed.find(".//failure") is None
    cases = list(xfailed.iter("testcase"))
    assert cases
    for case in cases:
        skipped = case.find("skipped")
        assert skipped is not None
        assert skipped.get("message") == "expected failure: known regression"
    body = suites["test_eval.py::test_skips_in_body"]
    assert [c.find("skipped").get("message") for c in body.iter("testcase")] == [  # type: ignore[union-attr]
        "skipped: no budget today"
    ] * len(list(body.iter("testcase")))
    assert body.get("skipped") == body.get("tests")
    marker = suites["test_eval.py::test_skipped_by_marker"]
    (case,) = marker.iter("testcase")
    skipped = case.find("skipped")
    assert skipped is not None
    assert "not this sprint" in str(skipped.get("message"))


FAILING = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=2)

@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8)
@pytest.mark.pipelines_gate("No Such Criterion", min_pass_rate=0.5)
def test_gate_misses(pipelines_run):
    pass

@pytest.mark.parametrize("version", ["v1.2"])
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_dotted(pipelines_run, version):
    pass

@pytest.fixture
def crashing():
    try:
        raise ValueError("the vector store is down")
    except ValueError as exc:
        raise RuntimeError("could not prepare the ground truth") from exc

@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_fixture_crash(crashing, pipelines_run):
    pass
"""


def test_failures_carry_text_causes_and_labels(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """Defects 3, 8, 9, 10: failure text, classnames, errors before the run, causes, labels."""
    pytester.makepyfile(test_eval=FAILING)
    result = _all_reports(pytester, *remote_args)
    result.assert_outcomes(failed=1, passed=1, errors=1)
    root = ET.parse(pytester.path / "detail.xml").getroot()
    assert violations(root) == []
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    misses = {c.get("name"): c for c in suites["test_eval.py::test_gate_misses"].iter("testcase")}
    # GitLab shows the element's text: every failure has one
    for element in root.iter():
        if element.tag in ("failure", "error"):
            assert (element.text or "").strip(), ET.tostring(element)
    rome = misses["Mentions Rome Highlights"].find("failure")
    assert rome is not None
    assert "gate pass_rate >= 0.8: observed 0" in str(rome.text)
    assert "criterion's own verdict: fail" in str(rome.text)  # not mixed up with the gate
    missing = misses["No Such Criterion"].find("failure")
    assert missing is not None
    message = str(missing.get("message"))
    assert "observed -" not in message
    assert "no criterion named 'No Such Criterion' in this run" in message
    # classname: Jenkins splits at the last dot into package and class
    dotted = {
        str(c.get("classname")) for c in suites["test_eval.py::test_dotted[v1.2]"].iter("testcase")
    }
    assert [c.rsplit(".", 1) for c in dotted] == [["test_eval", "test_dotted[v1_2]"]]
    # a fixture that crashes before the run: in the report, with its cause
    crash = suites["test_eval.py::test_fixture_crash"]
    (case,) = crash.iter("testcase")
    error = case.find("error")
    assert error is not None
    assert "could not prepare the ground truth" in str(error.get("message"))
    assert "caused by ValueError: the vector store is down" in str(error.get("message"))
    assert "at test_eval.py:" in str(error.text)


def test_eval_tests_without_a_key_error_in_every_report(pytester: pytest.Pytester) -> None:
    """Defect 9: with no key the detailed file was an empty <testsuites/>: it must not look green."""
    from pytest_pipelines._settings import MISSING_KEY

    pytester.makepyfile(
        test_eval="""
import pytest

@pytest.mark.pipelines_workflow(22, 10)
def test_needs_a_key(pipelines_run):
    pass
"""
    )
    result = _all_reports(pytester, "--pipelines-env=production", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    root = ET.parse(pytester.path / "detail.xml").getroot()
    assert root.get("errors") == "1"
    error = root.find(".//testcase/error")
    assert error is not None
    headline = MISSING_KEY.split("{")[0].strip()
    assert headline
    assert headline in str(error.get("message"))
    md = (pytester.path / "summary.md").read_text(encoding="utf-8")
    assert "ERROR" in md
    assert "test_needs_a_key" in md


def test_a_session_with_no_eval_result_and_a_failure_is_not_green(tmp_path: Path) -> None:
    from pytest_pipelines._junit import SESSION_ERROR, build

    root = build([], exitstatus=2)
    assert root.get("errors") == "1"
    error = root.find(".//error")
    assert error is not None
    assert error.get("message") == SESSION_ERROR.format(status=2)
    assert violations(root) == []
    assert build([], exitstatus=0).get("tests") == "0"


TOOLS = """
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=2)
@pytest.mark.pipelines_tool_gate("notes", min_score=1.0)
def test_tools(pipelines_run):
    pass
"""


def test_consumers_read_counts_names_times_and_locations(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """What junitparser (EnricoMi's action), mikepenz's action, GitLab and Jenkins rely on."""
    from junitparser import Error, Failure, JUnitXml, Skipped

    (pytester.path / ".git").mkdir()  # the repository root, above pytest's rootdir
    evals = pytester.path / "evals"
    evals.mkdir()
    (evals / "pytest.ini").write_text("[pytest]\n")
    (evals / "test_gates.py").write_text(FAILING)
    (evals / "test_tools.py").write_text(TOOLS)

    def run() -> dict[str, list[tuple[str, str, str | None]]]:
        result = pytester.runpytest(
            *remote_args, "--rootdir=evals", "evals", "--pipelines-junitxml=detail.xml"
        )
        result.assert_outcomes(failed=1, passed=2, errors=1)
        xml = JUnitXml.fromfile(str(pytester.path / "detail.xml"))
        seen: dict[str, list[tuple[str, str, str | None]]] = {}
        assert sum(suite.time for suite in xml) > 0
        for suite in xml:
            cases = list(suite)
            # EnricoMi sums these suite counts; they must match the cases
            assert suite.tests == len(cases)
            assert suite.failures == sum(
                1 for c in cases if any(isinstance(r, Failure) for r in c.result)
            )
            assert suite.errors == sum(
                1 for c in cases if any(isinstance(r, Error) for r in c.result)
            )
            assert suite.skipped == sum(
                1 for c in cases if any(isinstance(r, Skipped) for r in c.result)
            )
            # defect 6: timings (a fixture that fails at once may take < 0.5 ms, which the 3
            # decimals of pytest's own report round to 0.000 too; the run as a whole does not)
            assert suite.time >= 0
            # dorny/test-reporter parseFloat()s the time of every suite and testcase
            assert all(c._elem.get("time") is not None for c in cases)
            assert abs(sum(c.time for c in cases) - suite.time) < 0.01 * len(cases) + 0.001
            file = suite._elem.get("file")
            assert file is not None
            assert (pytester.path / file).is_file(), file  # relative to the repository root
            assert file.startswith("evals/")
            for case in cases:
                assert case.classname
                for r in case.result:
                    if isinstance(r, (Failure, Error)):
                        assert r.message
                        assert r.text
                        # mikepenz: no line attribute -> the last " <file>...:<n>" in the text
                        hits = re.findall(rf" [^ ]*{re.escape(file)}.*?:(\d+)", r.text)
                        assert hits, r.text
                        line = int(hits[-1])
                        source = (pytester.path / file).read_text().splitlines()
                        assert source[line - 1].startswith("def test_"), (file, line)
                        # dorny/test-reporter (pytest-junit): "<file>:<line>" on the first line
                        path, pos = r.text.split("\n")[0].split(":")[:2]
                        assert (path, int(pos)) == (file, line)
            seen[str(suite.name)] = sorted(
                (c.name, c.classname, c.result[0]._tag if c.result else None) for c in cases
            )
        return seen

    first = run()
    assert any(n.startswith("tool correctness") for s in first.values() for n, _, _ in s)
    assert run() == first  # defect 7: stable names, run after run
    root = ET.parse(pytester.path / "detail.xml").getroot()
    assert violations(root) == []


def test_junit_rules_catch_what_jenkins_rejects() -> None:
    """The schema checks can fail: the shapes the old reports had are caught."""
    bad = ET.fromstring(
        '<testsuites><testsuite name="s" tests="1" failures="0" errors="0" time="1.23456">'
        '<testcase name="c" file="t.py" line="3"><properties><property name="a" value="b"/>'
        "</properties></testcase></testsuite></testsuites>"
    )
    found = violations(bad)
    assert any("'file' is not allowed on <testcase>" in v for v in found)
    assert any("'line' is not allowed on <testcase>" in v for v in found)
    assert any("<properties> may not be a child of <testcase>" in v for v in found)
    assert any("SUREFIRE_TIME" in v for v in found)


def test_xunit1_testcases_carry_file_and_line(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """EnricoMi's action annotates from testcase file/line: available with junit_family=xunit1."""
    pytester.makepyfile(test_eval=TOOLS)
    pytester.runpytest(
        *remote_args, "--pipelines-junitxml=detail.xml", "-o", "junit_family=xunit1"
    ).assert_outcomes(passed=1)
    cases = list(ET.parse(pytester.path / "detail.xml").getroot().iter("testcase"))
    assert cases
    assert {(c.get("file"), c.get("line")) for c in cases} == {("test_eval.py", "5")}


def test_github_step_summary_is_appended(
    pytester: pytest.Pytester, remote_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = pytester.path / "step_summary.md"
    summary.write_text("# Earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    pytester.makepyfile(
        test_eval="""
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=2)

@pytest.mark.pipelines_variants(baseline={}, echo={"models": [{"nodeId": "plan", "modelSlug": "echo"}]})
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8)
def test_variants(pipelines_run):
    pass
"""
    )
    result = pytester.runpytest(*remote_args)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"pipelines: Markdown summary appended to {summary}"])
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# Earlier step\n")  # GitHub's file is appended to, never replaced
    assert "## Eval results (pytest-pipelines)" in text
    assert "| Test | Variant | Verdict | Scores | Gates | Baseline / comparison |" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| test\\_eval.py::test\\_variants |")]
    assert len(rows) == 2
    assert "✅ PASS" in rows[0]
    assert "❌ FAILED" in rows[1]
    assert "Mentions Rome Highlights: pass\\_rate 0" in rows[1]
    assert "### Variants side by side: test\\_eval.py::test\\_variants" in text
    assert "| criterion | baseline | echo |" in text
    assert "<details><summary>FAILED: test_eval.py::test_variants[echo]</summary>" in text
    assert "gate pass_rate &gt;= 0.8: observed 0" in text
    assert "Plan a 5 day itinerary for Rome." in text  # a worst example


def test_bad_table_width_is_a_usage_error(pytester: pytest.Pytester) -> None:
    from pytest_pipelines._reporting import BAD_TABLE_WIDTH

    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("--pipelines-table-width=wide")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = BAD_TABLE_WIDTH.format(source="--pipelines-table-width", value="wide")
    assert expected in result.stderr.str()
    pytester.makeini("[pytest]\npipelines_table_width = 10\n")  # below the minimum of 40
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = BAD_TABLE_WIDTH.format(source="ini key pipelines_table_width", value="10")
    assert expected in result.stderr.str()


def test_table_width_option_shortens_paths_first(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """Defect 11: names were cut in the middle; now the path goes, the name stays whole."""
    sub = pytester.path / "tests" / "evals" / "itineraries"
    sub.mkdir(parents=True)
    body = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)

@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_rome_itinerary_mentions_the_day_numbers_for_short_trips(pipelines_run):
    pass

@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_rome_itinerary_mentions_the_day_numbers_for_long_trips(pipelines_run):
    pass
"""
    (sub / "test_rome.py").write_text(body)
    for width, shown in (
        ("300", "tests/evals/itineraries/test_rome.py::test_rome_itinerary_mentions"),
        ("100", "test_rome_itinerary_mentions"),
    ):
        result = pytester.runpytest(*remote_args, f"--pipelines-table-width={width}")
        result.assert_outcomes(passed=2)
        rows = [ln for ln in result.stdout.lines if "(test)" in ln]
        assert len(rows) == 2
        assert all(r.startswith(shown) for r in rows), rows
        assert "short_trips" in rows[0] or "short_trips" in rows[1]
        assert "long_trips" in rows[0] or "long_trips" in rows[1]
        assert not any("..." in r.split()[0] and r.split()[0].endswith("...") for r in rows)


def test_a_report_that_cannot_be_written_costs_no_other(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """Defect 1's other half: one failing writer used to skip the rest and the sweep."""
    from pytest_pipelines._reporting import WRITE_FAILED

    pytester.makepyfile(test_eval=TOOLS)
    (pytester.path / "taken").mkdir()  # a directory where the JUnit file should go
    result = pytester.runpytest(
        *remote_args, "--pipelines-junitxml=taken", "--pipelines-html=report.html"
    )
    result.assert_outcomes(passed=1)
    head = WRITE_FAILED.split("{error}")[0].format(
        what="detailed JUnit report", path=pytester.path / "taken"
    )
    result.stdout.fnmatch_lines([f"{head}IsADirectoryError*"])
    assert (pytester.path / "report.html").is_file()
    result.stdout.fnmatch_lines(["pipelines: HTML report written to *report.html"])


DECISIONS = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=2)

@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8, confidence=0.95)
def test_confident(pipelines_run):
    pass

@pytest.mark.pipelines_gate("Itinerary Quality Judge", min_mean=4.5, severity="warn")
def test_warned(pipelines_run):
    pass
"""


def test_the_verdict_layers_decisions_reach_every_report(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """Real gates with a confidence level and a warn severity, end to end."""
    pytester.makepyfile(test_eval=DECISIONS)
    result = _all_reports(pytester, *remote_args, "--pipelines-table-width=200", "-W", "default")
    result.assert_outcomes(passed=2, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "test_eval.py::test_confident * Mentions Rome Highlights * pass_rate 1 [[]0.342, 1[]]"
            " * pass_rate >= 0.8 inconclusive * WARN",
            "test_eval.py::test_warned * Itinerary Quality Judge * mean >= 4.5 (warn) * WARN",
        ]
    )
    root = ET.parse(pytester.path / "detail.xml").getroot()
    assert violations(root) == []
    assert root.get("failures") == "0"
    out = "\n".join(str(o.text) for o in root.iter("system-out"))
    assert "gate pass_rate >= 0.8: observed 1 [0.342, 1] at 95%" in out
    assert "-> inconclusive (about 16 tasks would likely decide it)" in out
    assert "[warning only]" in out
    props = [p.get("value") for p in root.iter("property") if p.get("name") == "warning.1"]
    assert len(props) == 2
    md = (pytester.path / "summary.md").read_text(encoding="utf-8")
    assert md.count("✅ PASS ⚠️") == 2
    page = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert "[0.342, 1] at 95%" in page
    assert 'aria-label="interval 0.342 to 1"' in page

"""Reports: user_properties in pytest's --junitxml, the detailed JUnit file, the terminal
summary with variants side by side, and -n 2 giving the same results as -n 0."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

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


def test_scores_reach_pytest_junitxml_as_readable_scalars_with_xunit1(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile(test_eval=SUITE)
    pytester.runpytest(
        *remote_args, "--junitxml=plain.xml", "-o", "junit_family=xunit1"
    ).assert_outcomes(passed=1, failed=1, errors=1)
    root = ET.parse(pytester.path / "plain.xml").getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    props = {
        p.get("name"): p.get("value") for p in cases["test_variants[baseline]"].iter("property")
    }
    assert props["pipelines.variant"] == "baseline"
    assert props["pipelines.Mentions Rome Highlights.pass_rate"] == "1.0"
    assert (
        props["pipelines.gate.Mentions Rome Highlights.pass_rate"]
        == "pass: gate pass_rate >= 0.8: observed 1"
    )
    assert props["pipelines.gate.tools notes.min_score"].startswith("pass: gate min_score >= 1")
    assert props["pipelines.verdict"] == "pass"
    # a few readable scalars, not a JSON blob of the whole record
    assert "pipelines" not in props
    assert all(len(str(v)) < 300 for v in props.values()), props
    echo = {p.get("name"): p.get("value") for p in cases["test_variants[echo]"].iter("property")}
    assert echo["pipelines.verdict"] == "fail"
    assert echo["pipelines.gate.Mentions Rome Highlights.pass_rate"].startswith("miss: gate")
    broken = {p.get("name"): p.get("value") for p in cases["test_broken"].iter("property")}
    assert "no-such-model" in broken["pipelines.error"]


def test_pytest_junitxml_xunit2_has_no_testcase_properties(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """junit-10.xsd (xunit2, pytest's default family) forbids <properties> in a <testcase>."""
    from junit_rules import violations

    pytester.makepyfile(test_eval=SUITE)
    pytester.runpytest(*remote_args, "--junitxml=plain.xml").assert_outcomes(
        passed=1, failed=1, errors=1
    )
    root = ET.parse(pytester.path / "plain.xml").getroot()
    assert [c.get("name") for c in root.iter("testcase")]
    assert all(c.find("properties") is None for c in root.iter("testcase"))
    assert violations(root) == []


def test_detailed_junit_report(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    pytester.makepyfile(test_eval=SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-junitxml=reports/detail.xml")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    path = pytester.path / "reports" / "detail.xml"
    result.stdout.fnmatch_lines([f"pipelines: detailed JUnit report written to {path}"])
    root = ET.parse(path).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {
        "test_eval.py::test_variants[baseline]",
        "test_eval.py::test_variants[echo]",
        "test_eval.py::test_broken",
    }
    echo = suites["test_eval.py::test_variants[echo]"]
    assert echo.get("file") == "test_eval.py"
    props = {p.get("name"): p.get("value") for p in echo.iter("property")}
    assert props["variant"] == "echo"
    assert props["verdict"] == "fail"
    assert props["tasks"] == "2"
    assert props["line"] == "11"  # the def, not the first decorator (line 5)
    cases = {c.get("name"): c for c in echo.iter("testcase")}
    assert {"Mentions Rome Highlights", "Has Day Number", "Itinerary Quality Judge"} <= set(cases)
    # stable names: the task's input key (its inputs and occurrence), not its id
    tool_cases = [n for n in cases if n.startswith("tool correctness")]
    assert len(set(tool_cases)) == 2
    assert all(
        re.fullmatch(r"tool correctness research\.notes input [0-9a-f]{16}#\d", n)
        for n in tool_cases
    )
    kw = cases["Mentions Rome Highlights"]
    assert kw.get("classname") == "test_eval.test_variants[echo]"
    assert kw.get("file") is None
    assert kw.get("line") is None
    failure = kw.find("failure")
    assert failure is not None
    assert failure.get("message") == "gate pass_rate >= 0.8: observed 0"
    assert failure.text is not None
    assert "at test_eval.py:11" in failure.text
    assert "output: Plan a 5 day itinerary for Rome." in failure.text
    out = kw.find("system-out")
    assert out is not None
    assert out.text is not None
    assert "Mentions Rome Highlights [boolean]: n=2 passes=0 pass_rate=0" in out.text
    assert "output: Plan a 5 day itinerary for Rome." in out.text
    assert "reason: found: none" in out.text
    assert cases["Has Day Number"].find("failure") is None  # no gate on it
    judge_out = cases["Itinerary Quality Judge"].find("system-out")
    assert judge_out is not None
    assert "reason: judge demo-judge answered" in str(judge_out.text)
    base = suites["test_eval.py::test_variants[baseline]"]
    assert all(c.find("failure") is None for c in base.iter("testcase"))
    (broken,) = suites["test_eval.py::test_broken"].iter("testcase")
    error = broken.find("error")
    assert error is not None
    assert "is broken" in str(error.get("message"))
    # the cause is in the message, not only in the text
    assert "no model is registered for slug 'no-such-model'" in str(error.get("message"))
    assert "no-such-model" in str(error.text)


def test_terminal_summary_and_side_by_side(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile(test_eval=SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-table-width=200")
    result.stdout.fnmatch_lines(
        [
            "*= pipelines results =*",
            "test * variant * criterion * value * gate * verdict",
            "test_eval.py::test_variants * baseline * Mentions Rome Highlights * pass_rate 1 * pass_rate >= 0.8 * pass",
            "test_eval.py::test_variants * baseline * tools notes * 1 * min_score >= 1 * pass",
            "test_eval.py::test_variants * baseline * (test) * 2 tasks * - * PASS",
            "test_eval.py::test_variants * echo * Mentions Rome Highlights * pass_rate 0 * pass_rate >= 0.8 * MISS",
            "test_eval.py::test_variants * echo * (test) * 2 tasks * - * FAILED",
            "test_eval.py::test_broken * - * (run) * - * - * ERROR",
            "",
            "variants side by side:",
            "test_eval.py::test_variants: criterion * baseline * echo",
            "Mentions Rome Highlights * pass_rate 1 * pass_rate 0",
            "verdict * PASS * FAILED",
        ]
    )


def _table(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "pipelines results" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("="))
    rows = [re.sub(r"\s+", " ", line).strip() for line in lines[start + 1 : end]]
    # task ids differ between runs (and shift where a long error line is cut)
    rows = [re.sub(r"tasks? [\d, ]+", "tasks N ", r)[:200] for r in rows]
    return sorted(r for r in rows if r and not r.startswith("-"))


def test_xdist_gives_the_same_results(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    pytester.makepyfile(test_eval=SUITE)
    serial = pytester.runpytest(*remote_args, "-n", "0", "--pipelines-junitxml=serial.xml")
    parallel = pytester.runpytest(*remote_args, "-n", "2", "--pipelines-junitxml=parallel.xml")
    serial.assert_outcomes(passed=1, failed=1, errors=1)
    parallel.assert_outcomes(passed=1, failed=1, errors=1)
    assert _table(parallel.stdout.str()) == _table(serial.stdout.str())
    assert "variants side by side:" in parallel.stdout.str()

    def cases(name: str) -> list[tuple[str, str, bool]]:
        root = ET.parse(pytester.path / name).getroot()
        return sorted(
            (
                str(s.get("name")),
                re.sub(r"task \d+", "task N", str(c.get("name"))),
                c.find("failure") is not None,
            )
            for s in root.iter("testsuite")
            for c in s.iter("testcase")
        )

    assert cases("parallel.xml") == cases("serial.xml")


PENDING_SUITE = """
import pytest

@pytest.fixture
def with_rating(pipelines_criterion, pipelines_evaluation):
    rating = pipelines_criterion(
        "Reader rating", type="human_rating", config={"rubric": "Would you follow this plan?"},
        output_schema={"type": "rating", "range": [1, 5]},
    )
    rome = pipelines_criterion(
        "Says Rome", config={"subtype": "contains_keywords", "keywords": ["Rome"], "mode": "any"}
    )
    return pipelines_evaluation([rating, rome], name="with-rating")

@pytest.mark.pipelines_workflow(22, 10, count=2)
@pytest.mark.pipelines_evaluation_swap("review", "quality", "with_rating")
@pytest.mark.pipelines_gate("Says Rome", min_pass_rate=0)
def test_rated(pipelines_run):
    assert pipelines_run.criterion("Reader rating").pending == 2
"""


def test_pending_human_ratings_are_shown_as_pending(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile(test_eval=PENDING_SUITE)
    result = pytester.runpytest(
        *remote_args,
        "--pipelines-junitxml=detail.xml",
        "--junitxml=plain.xml",
        "-o",
        "junit_family=xunit1",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["test_eval.py::test_rated * - * Reader rating * pending 2 * - * -"]
    )
    suite = next(ET.parse(pytester.path / "detail.xml").getroot().iter("testsuite"))
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["pending.Reader rating"] == "2"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    out = cases["Reader rating"].findtext("system-out") or ""
    assert "pending 2: 2 task(s) await a human rating" in out
    assert "pending (awaiting a human rating)" in out
    # not judged yet is not a pass: the testcase is skipped, with the reason
    skipped = cases["Reader rating"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "2 of 2 task(s) await a human rating: not judged yet"
    assert cases["Says Rome"].find("skipped") is None
    assert "pending" not in (cases["Says Rome"].findtext("system-out") or "").split("\n", 1)[1]
    plain = ET.parse(pytester.path / "plain.xml").getroot()
    user = {p.get("name"): p.get("value") for p in plain.iter("property")}
    assert user["pipelines.Reader rating.pending"] == "2"


@pytest.mark.parametrize(
    ("nodeid", "variant", "shown"),
    [
        ("t.py::test_x", None, "t.py::test_x"),
        ("t.py::test_x[Rome]", None, "t.py::test_x[Rome]"),
        ("t.py::test_x[baseline]", "baseline", "t.py::test_x"),
        ("t.py::test_x[Rome-baseline]", "baseline", "t.py::test_x[Rome]"),
        ("t.py::test_x[baseline-Rome]", "baseline", "t.py::test_x[Rome]"),
        ("t.py::test_x[a-baseline-b]", "baseline", "t.py::test_x[a-b]"),
    ],
)
def test_display_test_name_drops_only_the_variant(
    nodeid: str, variant: str | None, shown: str
) -> None:
    from pytest_pipelines._fixtures import display_test_name

    assert display_test_name(nodeid, variant) == shown


def test_long_test_names_lose_their_path_never_their_own_name() -> None:
    from pytest_pipelines._summary import MIN_TEST_WIDTH, fit, shorten

    long = "tests/evals/itineraries/europe/italy/test_rome_itineraries.py::TestRome::test_concise[5-days]"
    assert shorten(long, 200) == long
    assert shorten(long, 70) == ".../test_rome_itineraries.py::TestRome::test_concise[5-days]"
    assert shorten(long, 40) == "TestRome::test_concise[5-days]"
    assert shorten(long, 25) == "test_concise[5-days]"
    assert shorten(long, 5) == "test_concise[5-days]"  # whole, even wider than asked
    head = ("test", "variant", "criterion", "value", "gate", "verdict")
    rows = [head, (long, "-", "Mentions Rome Highlights", "pass_rate 1", "-", "PASS")]
    fitted = fit(rows, 100)
    assert len("  ".join(fitted[1])) <= 100
    assert fitted[0] == rows[0]
    assert fitted[1][1:] == rows[1][1:]
    # short names stay whole however narrow the terminal
    short = "test_eval.py::test_variants"
    assert len(short) <= MIN_TEST_WIDTH
    assert fit([head, (short, "-", "c" * 60, "v", "g", "PASS")], 80)[1][0] == short
    # two tests never show the same name: they keep as much path as tells them apart
    a = "tests/a/test_rome.py::test_concise_itinerary_for_five_days"
    b = "tests/b/test_rome.py::test_concise_itinerary_for_five_days"
    shown = [r[0] for r in fit([head, (a, *head[1:]), (b, *head[1:])], 60)[1:]]
    assert shown == [a, b]


PARAMS_SUITE = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)
ECHO = {"models": [{"nodeId": "plan", "modelSlug": "echo"}]}


@pytest.mark.parametrize("days", [2, 3])
@pytest.mark.pipelines_variants(baseline={}, echo=ECHO)
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_days(pipelines_run, days):
    pass
"""


def test_summary_keeps_other_parameters_apart(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile(test_eval=PARAMS_SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-table-width=200")
    result.assert_outcomes(passed=4)
    rows = [r for r in _table(result.stdout.str()) if "(test)" in r]
    assert len(rows) == 4
    shown = [
        " ".join(line.split()[:2])
        for line in result.stdout.lines
        if line.startswith("test_eval.py::test_days") and "(test)" in line
    ]
    assert shown == [  # the variants of one parameter set together
        "test_eval.py::test_days[2] baseline",
        "test_eval.py::test_days[2] echo",
        "test_eval.py::test_days[3] baseline",
        "test_eval.py::test_days[3] echo",
    ]
    for days in (2, 3):
        for variant in ("baseline", "echo"):
            assert f"test_eval.py::test_days[{days}] {variant} (test) 1 tasks - PASS" in rows, rows
    out = result.stdout.str()
    assert "test_eval.py::test_days[2]: criterion" in out
    assert "test_eval.py::test_days[3]: criterion" in out


NON_GATE_SUITE = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)

@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_body_fails(pipelines_run):
    assert len(pipelines_run.tasks) == 99, "expected 99 tasks"

@pytest.mark.lenient_fail
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_hook_fails(pipelines_run):
    pass

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown exploded")

@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_teardown_error(pipelines_run, broken_teardown):
    pass
"""

NON_GATE_CONFTEST = """
def pytest_configure(config):
    config.addinivalue_line("markers", "lenient_fail: the verdict hook fails it")

def pytest_pipelines_verdict(item, result, gates):
    if item.get_closest_marker("lenient_fail"):
        return False
    return None
"""


def test_junit_shows_failures_that_are_not_gate_misses(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    """A body assertion, a verdict hook or a teardown error fails the test: the JUnit file says so."""
    pytester.makeconftest(NON_GATE_CONFTEST)
    pytester.makepyfile(test_eval=NON_GATE_SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-junitxml=detail.xml")
    result.assert_outcomes(passed=1, failed=2, errors=1)
    root = ET.parse(pytester.path / "detail.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}

    def cases(name: str) -> dict[str, ET.Element]:
        return {str(c.get("name")): c for c in suites[f"test_eval.py::{name}"].iter("testcase")}

    body = cases("test_body_fails")["test body"].find("failure")
    assert body is not None
    assert "the test body failed (not a gate):" in str(body.get("message"))
    assert "expected 99 tasks" in str(body.get("message"))
    hook = cases("test_hook_fails")["verdict"].find("failure")
    assert hook is not None
    assert "pytest_pipelines_verdict hook failed this test" in str(hook.get("message"))
    teardown = cases("test_teardown_error")["teardown"].find("error")
    assert teardown is not None
    assert "teardown exploded" in str(teardown.get("message"))


def test_expected_gate_failure_is_xfailed_in_the_summary(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makepyfile(
        test_eval="""
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)

@pytest.mark.xfail(reason="known regression")
@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1)
def test_known_bad(pipelines_run):
    pass

@pytest.mark.xfail(reason="fixed already")
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
def test_fixed(pipelines_run):
    pass
"""
    )
    result = pytester.runpytest(*remote_args, "--pipelines-table-width=200")
    result.assert_outcomes(xfailed=1, xpassed=1)
    result.stdout.fnmatch_lines(
        [
            "test_eval.py::test_known_bad * (test) * 1 tasks * - * XFAILED",
            "test_eval.py::test_fixed * (test) * 1 tasks * - * XPASSED",
        ]
    )

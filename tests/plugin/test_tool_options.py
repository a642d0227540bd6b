"""pipelines_tool_gate's evaluation_params / exact / ordering reach the backend and change verdicts.

A custom model (loaded with --pipelines-model) calls, in one round, ``lookup_a(q="x")``,
``lookup_b(q="rome")`` and ``lookup_c()``. The ground truth expects ``lookup_b(q="paris")`` then
``lookup_a``. By name and in any order both expected tools are called (score 1.0); with
ordering only one is in order (0.5); an exact match fails on the extra ``lookup_c`` (0); with
input parameters compared ``lookup_b`` misses (0.5).
"""

from __future__ import annotations

import pytest

MODEL = """
from pytest_pipelines.local.models import ModelResponse, ToolCall


def toolorder(request):
    if request.tool_results():
        return "Day 1: Colosseum, Vatican Museums and Trastevere."
    return ModelResponse(
        tool_calls=(
            ToolCall("lookup_a", {"q": "x"}),
            ToolCall("lookup_b", {"q": "rome"}),
            ToolCall("lookup_c", {}),
        )
    )
"""

TESTS = """
import pytest

pytestmark = [
    pytest.mark.pipelines_workflow(22, 10, count=1),
    pytest.mark.pipelines_model_swap("plan", "toolorder"),
]
TOOLS = [
    {"name": name, "description": name, "input_schema": {"type": "object"}, "response": "ok"}
    for name in ("lookup_a", "lookup_b", "lookup_c")
]


@pytest.fixture
def truth(pipelines_tool_endpoint, pipelines_tool_binding, pipelines_tool_ground_truth):
    endpoint = pipelines_tool_endpoint(name="lookups", endpoint_type="mock", config={"tools": TOOLS})
    pipelines_tool_binding(
        10, node_id="plan", field_id="itinerary", endpoint=endpoint,
        selected_tools=["lookup_a", "lookup_b", "lookup_c"],
    )
    return pipelines_tool_ground_truth(
        10, node_id="plan", field_id="itinerary",
        expected_tools=[{"name": "lookup_b", "input": {"q": "paris"}}, "lookup_a"],
    )


def score(run):
    (check,) = run.tool_correctness
    return check.score


@pytest.mark.pipelines_tool_gate("itinerary")
def test_default(truth, pipelines_run):
    plan = [c.tool_name for c in pipelines_run.tool_calls if c.node_id == "plan"]
    assert plan == ["lookup_a", "lookup_b", "lookup_c"]
    assert score(pipelines_run) == 1.0


@pytest.mark.pipelines_tool_gate("itinerary", min_score=0.0)
def test_ordering_scores(truth, pipelines_run):
    assert score(pipelines_run) == 1.0


@pytest.mark.pipelines_tool_gate("itinerary", ordering=True)
def test_ordering(truth, pipelines_run):
    pass


@pytest.mark.pipelines_tool_gate("itinerary", min_score=0.0, ordering=True)
def test_ordering_value(truth, pipelines_run):
    assert score(pipelines_run) == 0.5


@pytest.mark.pipelines_tool_gate("itinerary", exact=True)
def test_exact(truth, pipelines_run):
    pass


@pytest.mark.pipelines_tool_gate("itinerary", min_score=0.0, exact=True)
def test_exact_value(truth, pipelines_run):
    assert score(pipelines_run) == 0.0


@pytest.mark.pipelines_tool_gate("itinerary", evaluation_params=("input_parameters",))
def test_params(truth, pipelines_run):
    pass


@pytest.mark.pipelines_tool_gate("itinerary", node="plan", min_score=0.0, evaluation_params=["input_parameters"])
def test_params_value(truth, pipelines_run):
    (check,) = pipelines_run.tool_correctness
    assert check.score == 0.5
"""


def test_tool_gate_options_change_the_verdict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(toolorder=MODEL, test_tools=TESTS)
    pytester.syspathinsert()
    result = pytester.runpytest(
        "--pipelines-env=local",
        "--pipelines-demo",
        "--pipelines-model=toolorder:toolorder",
        "-o",
        "pipelines_default_gate=none",
        "-p",
        "no:cacheprovider",
        "-rf",
    )
    result.assert_outcomes(passed=5, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED test_tools.py::test_ordering*",
            "FAILED test_tools.py::test_exact*",
            "FAILED test_tools.py::test_params*",
        ]
    )
    out = result.stdout.str()
    for name in ("test_ordering", "test_exact", "test_params"):
        assert f"FAILED test_tools.py::{name}_value" not in out
    result.stdout.fnmatch_lines(
        [
            "*_ test_ordering _*",
            "  tools itinerary  min_score  0.5 *>= 1 *MISS",
            "*_ test_exact _*",
            "  tools itinerary  min_score  0 *>= 1 *MISS",
            "*_ test_params _*",
            "  tools itinerary  min_score  0.5 *>= 1 *MISS",
            "*parameter_mismatches=[[]{'tool_name': 'lookup_b', 'expected': {'q': 'paris'}, *",
        ]
    )
    # "ordering wrong" only where the order was scored (ordering=True), not for exact/params
    sections = out.split("_ test_")
    reasons = {
        part.split(" _", 1)[0]: [line for line in part.splitlines() if " -- " in line]
        for part in sections[1:]
    }
    assert [r.endswith("; ordering wrong") for r in reasons["ordering"]] == [True]
    assert len(reasons["exact"]) == len(reasons["params"]) == 1
    assert "ordering" not in reasons["exact"][0] + reasons["params"][0]


ORDER_TESTS = (
    TESTS.split('@pytest.mark.pipelines_tool_gate("itinerary")\ndef test_default')[0]
    + """
SETUP = []


@pytest.fixture(autouse=True)
def first():
    SETUP.append("autouse")


@pytest.fixture
def recorded_truth(truth):
    SETUP.append("truth")
    return truth


@pytest.fixture
def uses_run(pipelines_run):
    return pipelines_run


@pytest.mark.pipelines_tool_gate("itinerary")
def test_run_listed_first(pipelines_run, recorded_truth):
    assert score(pipelines_run) == 1.0
    assert SETUP[-2:] == ["autouse", "truth"]


@pytest.mark.pipelines_tool_gate("itinerary")
@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(pipelines_run, n, truth):
    assert score(pipelines_run) == 1.0


@pytest.mark.pipelines_tool_gate("itinerary")
def test_order_of_the_items_fixtures(request, pipelines_run, truth):
    names = request.fixturenames
    assert names[-1] == "pipelines_run"
    assert names.index("first") < names.index("truth")
"""
)


def test_pipelines_run_is_set_up_after_the_tests_other_fixtures(pytester: pytest.Pytester) -> None:
    # a ground truth fixture listed after pipelines_run still exists when the run is scored
    pytester.makepyfile(toolorder=MODEL, test_order=ORDER_TESTS)
    pytester.syspathinsert()
    result = pytester.runpytest(
        "--pipelines-env=local",
        "--pipelines-demo",
        "--pipelines-model=toolorder:toolorder",
        "-o",
        "pipelines_default_gate=none",
        "-p",
        "no:cacheprovider",
        "-rfE",
    )
    result.assert_outcomes(passed=4)

"""Tool correctness scoring and tool recommendation."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pipelines.local._engine.toolscore import recommend_tools, score_tool_calls


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_name": name, "input": arguments}


GROUND_TRUTH = {
    "expected_tools": [{"name": "search_docs"}],
    "excluded_tools": [{"name": "delete_record"}],
    "ordering_matters": False,
}


def test_the_documented_example_scores_0_75() -> None:
    result = score_tool_calls(
        [call("search_docs", query="Rome"), call("delete_record")], GROUND_TRUTH
    )
    assert result == {
        "score": 0.75,
        "passed": False,
        "threshold": 1.0,
        "details": {
            "expected": ["search_docs"],
            "called": ["search_docs", "delete_record"],
            "missing": [],
            "excluded_called": ["delete_record"],
            "unexpected": [],
            "ordering_ok": True,
            "ordering_considered": False,
            "parameter_mismatches": [],
        },
    }


def test_all_expected_and_nothing_excluded_is_a_perfect_score() -> None:
    result = score_tool_calls([call("search_docs", query="x")], GROUND_TRUTH)
    assert (result["score"], result["passed"]) == (1.0, True)


def test_missing_expected_tools_lower_recall() -> None:
    truth = {"expected_tools": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]}
    result = score_tool_calls([call("a")], truth)
    # recall 1/4, safety 1.0 -> 0.25
    assert result["score"] == 0.25
    assert result["details"]["missing"] == ["b", "c", "d"]


def test_no_calls_at_all() -> None:
    result = score_tool_calls([], GROUND_TRUTH)
    assert result["score"] == 0.0  # nothing called: recall 0
    assert result["details"]["missing"] == ["search_docs"]
    assert result["details"]["called"] == []


def test_excluded_calls_cut_recall_by_up_to_half() -> None:
    truth = {"expected_tools": [{"name": "a"}, {"name": "b"}], "excluded_tools": [{"name": "rm"}]}
    # recall 1/2, safety 1/2 (one of the two distinct tools called is excluded) -> 0.375
    assert score_tool_calls([call("a"), call("rm"), call("rm")], truth)["score"] == 0.375
    only_exclusions = {"excluded_tools": [{"name": "rm"}]}
    assert score_tool_calls([call("rm")], only_exclusions)["score"] == 0.5
    assert score_tool_calls([], only_exclusions)["score"] == 1.0


def test_unexpected_tools_are_reported_but_not_penalised() -> None:
    result = score_tool_calls([call("search_docs"), call("fetch_url")], GROUND_TRUTH)
    assert result["score"] == 1.0
    assert result["details"]["unexpected"] == ["fetch_url"]


def test_threshold_decides_passed_and_is_checked() -> None:
    calls = [call("search_docs"), call("delete_record")]
    assert score_tool_calls(calls, GROUND_TRUTH, threshold=0.7)["passed"] is True
    assert score_tool_calls(calls, GROUND_TRUTH, threshold=0.8)["passed"] is False
    with pytest.raises(ValueError, match=r"threshold must be a number in \[0, 1\], got 2"):
        score_tool_calls(calls, GROUND_TRUTH, threshold=2)


ORDERED = {"expected_tools": [{"name": "search_docs"}, {"name": "fetch_url"}]}


def test_ordering_only_counts_hits_in_the_expected_order() -> None:
    calls = [call("fetch_url"), call("search_docs")]
    unordered = score_tool_calls(calls, ORDERED)
    assert unordered["score"] == 1.0
    assert unordered["details"]["ordering_ok"] is False
    ordered = score_tool_calls(calls, ORDERED, should_consider_ordering=True)
    # only one of the two expected tools is in order: recall 1/2, safety 1 -> 0.5
    assert ordered["score"] == 0.5
    in_order = score_tool_calls(
        [call("search_docs"), call("x"), call("fetch_url")], ORDERED, should_consider_ordering=True
    )
    assert (in_order["score"], in_order["details"]["ordering_ok"]) == (1.0, True)
    # the details say whether the order was scored (the explanation mentions it only then)
    assert unordered["details"]["ordering_considered"] is False
    assert ordered["details"]["ordering_considered"] is True
    matters = score_tool_calls(calls, {**ORDERED, "ordering_matters": True})
    assert matters["details"]["ordering_considered"] is True


def test_ground_truth_ordering_matters_switches_ordering_on() -> None:
    truth = {**ORDERED, "ordering_matters": True}
    assert score_tool_calls([call("fetch_url"), call("search_docs")], truth)["score"] == 0.5


WITH_INPUT = {"expected_tools": [{"name": "search_docs", "input": {"query": "Rome"}}]}


def test_input_parameters_are_compared_only_when_asked() -> None:
    calls = [call("search_docs", query="Paris", limit=3)]
    assert score_tool_calls(calls, WITH_INPUT)["score"] == 1.0
    result = score_tool_calls(calls, WITH_INPUT, evaluation_params=["input_parameters"])
    assert result["score"] == 0.0
    assert result["details"]["missing"] == []
    assert result["details"]["parameter_mismatches"] == [
        {
            "tool_name": "search_docs",
            "expected": {"query": "Rome"},
            "actual": [{"query": "Paris", "limit": 3}],
        }
    ]


def test_input_parameters_match_on_the_expected_keys_with_extra_keys_allowed() -> None:
    calls = [call("search_docs", query="Paris"), call("search_docs", query="Rome", limit=3)]
    result = score_tool_calls(calls, WITH_INPUT, evaluation_params=["input_parameters"])
    assert result["score"] == 1.0
    assert result["details"]["parameter_mismatches"] == []


def test_unknown_evaluation_param() -> None:
    with pytest.raises(
        ValueError, match="unknown evaluation param 'speed'; valid params: input_parameters"
    ):
        score_tool_calls([], GROUND_TRUTH, evaluation_params=["speed"])


def test_exact_match_is_all_or_nothing() -> None:
    assert (
        score_tool_calls([call("search_docs")], GROUND_TRUTH, should_exact_match=True)["score"]
        == 1.0
    )
    extra = score_tool_calls(
        [call("search_docs"), call("fetch_url")], GROUND_TRUTH, should_exact_match=True
    )
    assert (extra["score"], extra["passed"]) == (0.0, False)
    swapped = [call("fetch_url"), call("search_docs")]
    assert score_tool_calls(swapped, ORDERED, should_exact_match=True)["score"] == 1.0
    assert (
        score_tool_calls(swapped, ORDERED, should_exact_match=True, should_consider_ordering=True)[
            "score"
        ]
        == 0.0
    )
    wrong_input = score_tool_calls(
        [call("search_docs", query="Paris")],
        WITH_INPUT,
        should_exact_match=True,
        evaluation_params=["input_parameters"],
    )
    assert wrong_input["score"] == 0.0


def test_calls_with_arguments_key_and_plain_names_in_ground_truth() -> None:
    truth = {"expected_tools": ["search_docs"], "excluded_tools": ["delete_record"]}
    result = score_tool_calls([{"tool_name": "search_docs", "arguments": {"q": 1}}], truth)
    assert result["score"] == 1.0


# --- recommend_tools ---------------------------------------------------------------------------


def test_recommendations_rank_by_overlap_with_reasons() -> None:
    result = recommend_tools(
        "Answer the user by searching the docs when needed.",
        [{"name": "fetch_url"}, {"name": "search_docs"}],
    )
    assert result == {
        "recommendations": [
            {
                "name": "search_docs",
                "score": 0.7,
                "reason": "name words in the prompt: search, docs",
            },
            {
                "name": "fetch_url",
                "score": 0.0,
                "reason": "no overlap between the prompt and the tool's name or description",
            },
        ]
    }


def test_recommendations_use_descriptions_and_camel_case() -> None:
    tools = [
        {"name": "deleteRecord", "description": "Remove a database record"},
        {"name": "getWeather", "description": "Current weather forecast for a city"},
        {"name": "lookup", "description": "Find the forecast for a city"},
    ]
    ranked = recommend_tools("What is the weather forecast in Rome city?", tools)["recommendations"]
    assert [r["name"] for r in ranked] == ["getWeather", "lookup", "deleteRecord"]
    assert ranked[0]["reason"] == (
        "name words in the prompt: weather; description words in the prompt: forecast, city"
    )
    assert ranked[2]["score"] == 0.0


def test_recommendations_are_deterministic_with_ties_broken_by_name() -> None:
    tools = [{"name": "b_tool"}, {"name": "a_tool"}, {"name": "c_tool"}]
    first = recommend_tools("nothing relevant", tools)
    assert [r["name"] for r in first["recommendations"]] == ["a_tool", "b_tool", "c_tool"]
    assert recommend_tools("nothing relevant", list(reversed(tools))) == first

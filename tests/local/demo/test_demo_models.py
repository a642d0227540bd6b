"""The deterministic demo models: same prompt, same answer; different prompts, different answers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from pytest_pipelines.local._demo.models import DEMO_TOOL_ENDPOINT
from pytest_pipelines.local._engine.criteria import evaluate_criterion
from pytest_pipelines.local._engine.toolsets import call_tool, discover_tools
from pytest_pipelines.local.models import (
    Message,
    ModelRegistry,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolSpec,
    default_registry,
)


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    return default_registry(demo=True)


def ask(
    registry: ModelRegistry, slug: str, prompt: str, tools: tuple[ToolSpec, ...] = ()
) -> ModelResponse:
    return registry.complete(
        slug, ModelRequest(slug, prompt, messages=(Message("user", prompt),), tools=tools)
    )


def text(registry: ModelRegistry, slug: str, prompt: str) -> str:
    answer = ask(registry, slug, prompt).text
    assert answer is not None
    return answer


# --- demo-planner -----------------------------------------------------------------------------


def test_planner_is_deterministic(registry: ModelRegistry) -> None:
    prompt = "Create a 4 day Rome itinerary."
    assert text(registry, "demo-planner", prompt) == text(registry, "demo-planner", prompt)


def test_planner_rome_mentions_the_highlights_one_line_per_day(registry: ModelRegistry) -> None:
    answer = text(registry, "demo-planner", "Create a concise 5 day Rome itinerary.")
    lines = answer.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"Day {n}" for n in range(1, 6)]
    for sight in ("Colosseum", "Vatican", "Trastevere"):
        assert sight in answer


def test_planner_styles_differ(registry: ModelRegistry) -> None:
    concise = text(registry, "demo-planner", "Create a concise 3 day Rome itinerary.")
    detailed = text(registry, "demo-planner", "Create a detailed 3 day Rome itinerary.")
    standard = text(registry, "demo-planner", "Create a 3 day Rome itinerary.")
    assert len({concise, detailed, standard}) == 3
    assert len(concise.splitlines()) == 3
    assert "Morning:" not in concise
    for part in ("Morning:", "Afternoon:", "Evening:"):
        assert detailed.count(part) == 3
    assert len(detailed) > len(standard) > len(concise)


def test_planner_json_on_request(registry: ModelRegistry) -> None:
    answer = text(registry, "demo-planner", "Plan two days in Paris. Reply as JSON.")
    document = json.loads(answer)
    assert document["city"] == "Paris"
    assert [day["day"] for day in document["days"]] == [1, 2]
    assert document["days"][0]["sights"][0] == "Louvre"


def test_planner_reads_city_and_days(registry: ModelRegistry) -> None:
    answer = text(registry, "demo-planner", "Plan a six-day trip to Lisbon")
    assert "Lisbon" in answer
    assert re.findall(r"^Day (\d+)", answer, re.MULTILINE) == [str(n) for n in range(1, 7)]


# --- demo-researcher --------------------------------------------------------------------------

TOOLS = tuple(
    ToolSpec(t["name"], t["description"], t["input_schema"])
    for t in discover_tools(DEMO_TOOL_ENDPOINT)
)


def converse(
    registry: ModelRegistry, slug: str, prompt: str, tools: tuple[ToolSpec, ...]
) -> tuple[str, list[ToolCall]]:
    """Run the model's tool loop against the demo mock endpoint, as the engine does."""
    messages: list[Message] = [Message("user", prompt)]
    made: list[ToolCall] = []
    for _ in range(5):
        response = registry.complete(slug, ModelRequest(slug, prompt, tuple(messages), tools))
        if not response.tool_calls:
            assert response.text is not None
            return response.text, made
        messages.append(Message("assistant", response.text or "", tool_calls=response.tool_calls))
        for call in response.tool_calls:
            made.append(call)
            result = call_tool(DEMO_TOOL_ENDPOINT, call.name, dict(call.arguments))
            messages.append(
                Message("tool", json.dumps(result), tool_call_id=call.id, name=call.name)
            )
    raise AssertionError("the model never answered with text")


def test_researcher_searches_then_summarises_citing_results(registry: ModelRegistry) -> None:
    answer, calls = converse(
        registry, "demo-researcher", "What do the docs say about 'Rome travel'?", TOOLS
    )
    assert [(c.name, dict(c.arguments)) for c in calls] == [
        ("search_docs", {"query": "Rome travel"})
    ]
    assert answer == (
        "Summary for 'Rome travel' based on 1 tool result(s): [1] Guide: Rome travel; "
        "[2] FAQ: Rome travel."
    )


def test_researcher_fetches_when_asked(registry: ModelRegistry) -> None:
    answer, calls = converse(
        registry, "demo-researcher", "Search and fetch the Rome museum page", TOOLS
    )
    assert [c.name for c in calls] == ["search_docs", "fetch_url"]
    assert calls[1].arguments == {"url": "https://docs.example.com/guide"}
    assert "https://docs.example.com/guide" in answer


def test_researcher_never_calls_tools_that_are_not_offered(registry: ModelRegistry) -> None:
    only_search = tuple(t for t in TOOLS if t.name == "search_docs")
    _, calls = converse(
        registry, "demo-researcher", "Search and fetch the Rome museum page", only_search
    )
    assert [c.name for c in calls] == ["search_docs"]
    no_tools = ask(registry, "demo-researcher", "Search the Rome docs")
    assert no_tools.tool_calls == ()
    assert no_tools.text is not None
    assert "no tools were available" in no_tools.text


def test_researcher_query_differs_by_prompt(registry: ModelRegistry) -> None:
    first = ask(registry, "demo-researcher", "Find the refund policy", TOOLS).tool_calls[0]
    second = ask(registry, "demo-researcher", "Find the shipping times", TOOLS).tool_calls[0]
    assert first.arguments == {"query": "refund policy"}
    assert second.arguments == {"query": "shipping times"}


# --- demo-judge -------------------------------------------------------------------------------


def judge_prompt(rubric: str, output: str) -> str:
    return f"{rubric}\n\n## Output to evaluate\n{output}"


def test_judge_answers_only_a_number_in_the_prompts_range(registry: ModelRegistry) -> None:
    rich = text(registry, "demo-planner", "Create a detailed 5 day Rome itinerary.")
    for low, high in ((1, 5), (1, 10), (0, 100)):
        answer = text(registry, "demo-judge", judge_prompt(f"Score it from {low} to {high}.", rich))
        assert re.fullmatch(r"\d+", answer)
        assert low <= int(answer) <= high
    assert text(registry, "demo-judge", judge_prompt("Score it from 1 to 5.", rich)) == "5"
    assert text(registry, "demo-judge", judge_prompt("Score it from 1 to 5.", "ok")) == "1"


def test_judge_metric_prompts_get_a_0_to_1_score(registry: ModelRegistry) -> None:
    outputs = {
        "relevant": text(registry, "demo-planner", "Create a 3 day Rome itinerary."),
        "unrelated": "Bananas are yellow.",
    }
    scores = {}
    for name, output in outputs.items():
        criterion = {"type": "llm_metric", "config": {"subtype": "answer_relevancy"}}
        outcome = evaluate_criterion(
            criterion,
            output,
            inputs={"question": "Plan a 3 day Rome itinerary with the Colosseum"},
            expected_output=None,
            judge=registry.judge,
        )
        assert outcome.status == "completed"
        assert isinstance(outcome.value, float)
        scores[name] = outcome.value
    assert 0 <= scores["unrelated"] < scores["relevant"] <= 1


def test_judge_yes_no(registry: ModelRegistry) -> None:
    rich = text(registry, "demo-planner", "Create a detailed 5 day Rome itinerary.")
    assert (
        text(registry, "demo-judge", judge_prompt("Is it specific? Answer yes or no.", rich))
        == "yes"
    )
    assert (
        text(registry, "demo-judge", judge_prompt("Is it specific? Answer yes or no.", "meh"))
        == "no"
    )


# --- gemini-3.5-flash stand-in ----------------------------------------------------------------


def test_gemini_stand_in_plans_judges_and_researches(registry: ModelRegistry) -> None:
    plan = text(registry, "gemini-3.5-flash", "Create a 3 day Rome itinerary.")
    assert "Morning:" in plan  # detailed by default: a model swap shows a difference
    assert plan != text(registry, "demo-planner", "Create a 3 day Rome itinerary.")
    assert (
        text(registry, "gemini-3.5-flash", "Create a concise 3 day Rome itinerary.").count("\n")
        == 2
    )
    rating = text(
        registry,
        "gemini-3.5-flash",
        judge_prompt(
            "Score the itinerary from 1 to 5 for specificity. Return only the number.", plan
        ),
    )
    assert rating in {"1", "2", "3", "4", "5"}
    research = ask(registry, "gemini-3.5-flash", "Look up 'visa rules'", TOOLS)
    assert research.tool_calls[0].name == "search_docs"


def test_guide_llm_judge_recipe_runs_with_the_stand_in(registry: ModelRegistry) -> None:
    criterion: dict[str, Any] = {
        "name": "Itinerary Quality Judge",
        "type": "llm_judge",
        "config": {
            "model": "gemini-3.5-flash",
            "temperature": 0,
            "prompt_template": (
                "Score the itinerary from 1 to 5 for specificity, feasibility, and usefulness. "
                "Return only the number."
            ),
        },
        "output_schema": {"type": "rating", "range": [1, 5]},
    }
    concise = text(registry, "demo-planner", "Create a concise 1 day Rome itinerary.")
    detailed = text(registry, "demo-planner", "Create a detailed 5 day Rome itinerary.")
    low = evaluate_criterion(
        criterion, concise, inputs={}, expected_output=None, judge=registry.judge
    )
    high = evaluate_criterion(
        criterion, detailed, inputs={}, expected_output=None, judge=registry.judge
    )
    assert low.status == high.status == "completed"
    assert isinstance(low.value, int)
    assert isinstance(high.value, int)
    assert low.value < high.value


def test_researcher_query_drops_filler_words(registry: ModelRegistry) -> None:
    prompt = "Research Rome for a 5 day trip: search the docs for the top sights."
    call = ask(registry, "demo-researcher", prompt, TOOLS).tool_calls[0]
    assert call.arguments == {"query": "Rome top sights"}


def test_researcher_reports_failed_tools_and_text_results(registry: ModelRegistry) -> None:
    prompt = "Search the docs for 'Rome'"
    first = ask(registry, "demo-researcher", prompt, TOOLS).tool_calls
    messages = (
        Message("user", prompt),
        Message("assistant", "", tool_calls=first),
        Message(
            "tool",
            json.dumps({"error": "the index is down"}),
            tool_call_id="call-1",
            name="search_docs",
        ),
    )
    failed = registry.complete(
        "demo-researcher", ModelRequest("demo-researcher", prompt, messages, TOOLS)
    )
    assert failed.text == (
        "Summary for 'Rome' based on 1 tool result(s): [1] search_docs failed: the index is down."
    )
    plain = (
        *messages[:2],
        Message("tool", "Colosseum and Vatican.", tool_call_id="call-1", name="search_docs"),
    )
    answer = registry.complete(
        "demo-researcher", ModelRequest("demo-researcher", prompt, plain, TOOLS)
    )
    assert answer.text == "Summary for 'Rome' based on 1 tool result(s): [1] Colosseum and Vatican."

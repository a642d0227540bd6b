"""Tool correctness: did the research step call the right tools?

The demo workflow's ``research.notes`` field may call three mock tools: ``search_docs``,
``fetch_url`` and ``delete_record``. Its tool ground truth expects ``search_docs`` and excludes
``delete_record``. ``pipelines_tool_gate`` scores every task's calls against that ground truth and
fails the test when a task scores below ``min_score``.

The second test builds its own little world with the ephemeral tool factories (an endpoint, a
binding and a ground truth on a scratch workflow, all deleted at teardown) and checks tool
correctness through the client directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_pipelines import (
    PipelinesClient,
    RunResult,
    ToolBindingFactory,
    ToolEndpointFactory,
    ToolGroundTruthFactory,
)
from pytest_pipelines.types import Workflow


@pytest.mark.pipelines_workflow(project=22, workflow=10, count=2)
@pytest.mark.pipelines_tool_gate(field="notes", node="research", min_score=1.0)
def test_research_calls_the_right_tools(pipelines_run: RunResult) -> None:
    called = {call.tool_name for call in pipelines_run.tool_calls}
    assert "search_docs" in called
    assert "delete_record" not in called
    assert [c.score for c in pipelines_run.tool_correctness] == [1.0, 1.0]


WEATHER_TOOLS = [
    {
        "name": "get_forecast",
        "description": "The weather forecast for a city.",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
        "response": "Forecast for {{query}}: sunny, 24 C.",
    },
    {
        "name": "search_docs",
        "description": "Search the travel docs for a query.",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
        "response": "Results for {{query}}: Colosseum, Pantheon.",
    },
]


@pytest.fixture
def scratch_workflow(pipelines_client: PipelinesClient) -> Iterator[Workflow]:
    """A one-node workflow in project 22 whose LLM field researches with tools (deleted after)."""
    workflow = pipelines_client.create_workflow(
        22,
        {
            "name": "scratch research workflow (example)",
            "definition": {
                "nodes": [
                    {
                        "id": "scout",
                        "title": "Scout",
                        "fields": [
                            {
                                "id": "answer",
                                "type": "llm",
                                "title": "Answer",
                                "prompt_text": "Search the docs for the sights of Rome.",
                                "model": "demo-researcher",
                            }
                        ],
                    }
                ]
            },
        },
    )
    yield workflow
    pipelines_client.delete_workflow(22, workflow["id"])


def test_ephemeral_tools_and_ground_truth(
    pipelines_client: PipelinesClient,
    scratch_workflow: Workflow,
    pipelines_tool_endpoint: ToolEndpointFactory,
    pipelines_tool_binding: ToolBindingFactory,
    pipelines_tool_ground_truth: ToolGroundTruthFactory,
) -> None:
    wid = scratch_workflow["id"]
    endpoint = pipelines_tool_endpoint(
        name="weather-and-docs",
        config={"tools": WEATHER_TOOLS},
        tools=[{k: t[k] for k in ("name", "description", "input_schema")} for t in WEATHER_TOOLS],
    )
    pipelines_tool_binding(
        wid,
        node_id="scout",
        field_id="answer",
        endpoint=endpoint,
        selected_tools=["get_forecast", "search_docs"],
    )
    pipelines_tool_ground_truth(
        wid,
        node_id="scout",
        field_id="answer",
        expected_tools=["search_docs"],
        excluded_tools=["get_forecast"],
    )

    job = pipelines_client.create_tasks(22, wid, {"count": 1})
    [task] = job["tasks"]
    node = task["nodes"][0]
    assert [c["tool_name"] for c in node["tool_calls"]] == ["search_docs"]
    score = pipelines_client.evaluate_tool_correctness(
        wid, node["id"], {"field_id": "answer", "should_exact_match": False}
    )
    assert score["score"] == 1.0, score["details"]
    assert score["details"]["excluded_called"] == []

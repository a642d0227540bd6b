"""The SDK guide's flows, as written, against ``pipelines-local serve --demo`` in a subprocess.

Ids the guide leaves to the reader (node and field ids) are looked up with
``get_configurable_fields``, as the guide says.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_pipelines.client import PipelinesClient, ServerError


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """Base URL of ``pipelines-local serve --demo`` running in a subprocess."""
    command = [sys.executable, "-m", "pytest_pipelines.local.cli", "serve", "--demo"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        assert proc.stdout is not None
        try:
            proc.stdout.readline()
            url = proc.stdout.readline().strip().split("=", 1)[1]
            yield url
        finally:
            proc.terminate()
            proc.wait(20)
            proc.stdout.close()


@pytest.fixture
def client(served: str) -> Iterator[PipelinesClient]:
    """The guide's client, with the demo's well-known key."""
    with PipelinesClient(api_key="pk_local_demo", base_url=served) as c:
        yield c


@pytest.fixture
def ids(client: PipelinesClient) -> dict[str, Any]:
    """nodeId/fieldId of the demo workflow, looked up the way the guide says."""
    fields = client.get_configurable_fields(project_id=22, workflow_id=10)
    found = {}
    for field in fields["fields"]:
        found[field["fieldId"]] = (field["nodeId"], field["fieldId"])
    return found


def test_read_library_configs(client: PipelinesClient, served: str) -> None:
    assert client.list_prompts(page_size=10)["items"]
    assert client.list_criteria(page_size=10)["items"]
    assert client.list_evaluations(page_size=10)["items"]
    assert client.list_models(org_id=2, page_size=10)["items"]
    with PipelinesClient(api_key="pk_local_prompts_only", base_url=served) as limited:
        assert limited.list_prompts(page_size=10)["items"]


def test_create_library_configs_every_recipe(client: PipelinesClient) -> None:
    prompt = client.create_prompt(
        {
            "name": "Concise Rome prompt",
            "description": "Short itinerary prompt for SDK experiments",
            "prompt_text": "Create a concise 5 day Rome itinerary.",
            "role": "user",
            "scope_type": "org",
            "org_id": 2,
        }
    )
    assert prompt["id"]
    org = {"scope_type": "org", "org_id": 2}
    made = {
        "plain": client.create_criterion(
            {
                "name": "Exact Match",
                "display_label": "Exact Match",
                "type": "programmatic",
                "config": {"subtype": "exact_match"},
                "output_schema": {"type": "boolean"},
            }
        ),
        "exact": client.create_criterion(
            {
                "name": "Exact Match",
                "display_label": "Exact Match",
                "type": "programmatic",
                "config": {
                    "subtype": "exact_match",
                    "case_sensitive": False,
                    "strip_whitespace": True,
                },
                "output_schema": {"type": "boolean"},
                **org,
            }
        ),
        "keyword": client.create_criterion(
            {
                "name": "Mentions Rome Highlights",
                "display_label": "Mentions Rome Highlights",
                "type": "programmatic",
                "config": {
                    "subtype": "contains_keywords",
                    "keywords": ["Colosseum", "Vatican", "Trastevere"],
                    "mode": "any",
                    "case_sensitive": False,
                },
                "output_schema": {"type": "boolean"},
                **org,
            }
        ),
        "regex": client.create_criterion(
            {
                "name": "Has Day Number",
                "display_label": "Has Day Number",
                "type": "programmatic",
                "config": {
                    "subtype": "regex_match",
                    "pattern": r"Day\s+[1-5]",
                    "flags": ["IGNORECASE"],
                },
                "output_schema": {"type": "boolean"},
                **org,
            }
        ),
        "json": client.create_criterion(
            {
                "name": "Valid JSON Itinerary",
                "display_label": "Valid JSON Itinerary",
                "type": "programmatic",
                "config": {
                    "subtype": "json_validity",
                    "schema": {
                        "type": "object",
                        "required": ["days"],
                        "properties": {"days": {"type": "array"}},
                    },
                },
                "output_schema": {"type": "boolean"},
                **org,
            }
        ),
        "judge": client.create_criterion(
            {
                "name": "Itinerary Quality Judge",
                "display_label": "Itinerary Quality",
                "type": "llm_judge",
                "config": {
                    "model": "gemini-3.5-flash",
                    "temperature": 0,
                    "prompt_template": "Score the itinerary from 1 to 5 for specificity, feasibility, and usefulness. Return only the number.",
                },
                "output_schema": {"type": "rating", "range": [1, 5]},
                **org,
            }
        ),
        "human": client.create_criterion(
            {
                "name": "Human Quality Rating",
                "display_label": "Rate itinerary quality",
                "type": "human_rating",
                "config": {"rubric": "1 = poor, 3 = acceptable, 5 = excellent"},
                "output_schema": {
                    "type": "rating",
                    "range": [1, 5],
                    "labels": {"1": "Poor", "3": "Acceptable", "5": "Excellent"},
                },
                **org,
            }
        ),
        "metric": client.create_criterion(
            {
                "name": "Answer Relevancy",
                "display_label": "Answer Relevancy",
                "type": "llm_metric",
                "config": {"subtype": "answer_relevancy", "threshold": 0.7},
                "output_schema": {"type": "numeric", "range": [0, 1]},
                **org,
            }
        ),
    }
    assert len({c["id"] for c in made.values()}) == len(made)
    evaluation = client.create_evaluation(
        {
            "name": "Itinerary quality",
            "description": "Scores itinerary quality",
            "criteria": [
                {"criterion_id": made["exact"]["id"]},
                {"criterion_id": made["judge"]["id"]},
            ],
            **org,
        }
    )
    assert [c["criterion_id"] for c in evaluation["criteria"]] == [
        made["exact"]["id"],
        made["judge"]["id"],
    ]


def test_every_criterion_recipe_scores_a_run(client: PipelinesClient, ids: dict[str, Any]) -> None:
    org = {"scope_type": "org", "org_id": 2}
    recipes = [
        (
            "programmatic",
            {
                "subtype": "contains_keywords",
                "keywords": ["Colosseum", "Vatican"],
                "mode": "all",
                "case_sensitive": False,
            },
            {"type": "boolean"},
        ),
        (
            "programmatic",
            {"subtype": "regex_match", "pattern": r"Day\s+[1-5]", "flags": ["IGNORECASE"]},
            {"type": "boolean"},
        ),
        (
            "programmatic",
            {"subtype": "json_validity", "schema": {"type": "object", "required": ["days"]}},
            {"type": "boolean"},
        ),
        ("programmatic", {"subtype": "exact_match", "case_sensitive": False}, {"type": "boolean"}),
        (
            "llm_judge",
            {
                "model": "gemini-3.5-flash",
                "temperature": 0,
                "prompt_template": "Score the itinerary from 1 to 5. Return only the number.",
            },
            {"type": "rating", "range": [1, 5]},
        ),
        (
            "llm_metric",
            {"subtype": "answer_relevancy", "threshold": 0.7},
            {"type": "numeric", "range": [0, 1]},
        ),
        ("human_rating", {"rubric": "1-5"}, {"type": "rating", "range": [1, 5]}),
    ]
    criteria = [
        client.create_criterion(
            {
                "name": f"recipe {i}",
                "display_label": f"recipe {i}",
                "type": t,
                "config": c,
                "output_schema": o,
                **org,
            }
        )
        for i, (t, c, o) in enumerate(recipes)
    ]
    evaluation = client.create_evaluation(
        {"name": "all recipes", "criteria": [{"criterion_id": c["id"]} for c in criteria], **org}
    )
    node_id, field_id = ids["quality"]
    run = client.create_tasks_async(
        22,
        10,
        {
            "count": 1,
            "inputs": [{"city": "Rome", "days": 3}],
            "expected_outputs": ["not the itinerary"],
            "configOverrides": {
                "evaluations": [
                    {
                        "nodeId": node_id,
                        "fieldId": field_id,
                        "evaluationId": evaluation["id"],
                        "version": 1,
                    }
                ]
            },
        },
    )
    status = client.wait_for_create_tasks(22, 10, run["job_id"], timeout=60)
    task = client.get_task(project_id=22, workflow_id=10, task_id=status["task_ids"][0])
    results = {r["criterion_name"]: r for n in task["nodes"] for r in n["evaluation_results"]}
    assert results["recipe 0"]["passed"] is True
    assert results["recipe 1"]["passed"] is True
    assert results["recipe 2"]["passed"] is False  # a text itinerary is not JSON
    assert results["recipe 3"]["passed"] is False
    assert 1 <= results["recipe 4"]["value"] <= 5
    assert 0 <= results["recipe 5"]["value"] <= 1
    assert results["recipe 6"]["status"] == "pending"


def test_tool_endpoint_binding_ground_truth_and_correctness(
    client: PipelinesClient, ids: dict[str, Any]
) -> None:
    endpoint = client.create_tool_endpoint(
        org_id=2,
        payload={
            "name": "Docs MCP endpoint",
            "description": "Search internal docs from LLM fields",
            "endpoint_type": "mcp_server",
            "url": "https://tools.example.com/mcp",
            "auth_type": "none",
            "auth_config": {},
        },
    )
    endpoint_id = endpoint["id"]
    assert client.list_endpoint_tools(org_id=2, endpoint_id=endpoint_id) == []
    with pytest.raises(ServerError, match=r"tools\.example\.com"):
        client.refresh_tool_endpoint_tools(org_id=2, endpoint_id=endpoint_id)
    assert client.test_tool_endpoint(org_id=2, endpoint_id=endpoint_id)["ok"] is False
    assert len(client.list_tool_endpoint_versions(org_id=2, endpoint_id=endpoint_id)["items"]) == 1
    assert client.get_tool_endpoint_usage(org_id=2, endpoint_id=endpoint_id)["total_calls"] == 0
    node_id, field_id = ids["notes"]
    demo_endpoint = next(e for e in client.iter_tool_endpoints(2) if e["endpoint_type"] == "mock")
    binding = client.create_tool_binding(
        workflow_id=10,
        payload={
            "node_id": node_id,
            "field_id": field_id,
            "endpoint_id": demo_endpoint["id"],
            "selected_tools": ["search_docs"],
            "max_tool_rounds": 3,
        },
    )
    assert binding["selected_tools"] == ["search_docs"]
    client.create_tool_ground_truth(
        workflow_id=10,
        payload={
            "node_id": node_id,
            "field_id": field_id,
            "expected_tools": [{"name": "search_docs"}],
            "excluded_tools": [{"name": "delete_record"}],
            "ordering_matters": False,
            "source": "manual",
            "confidence": 1.0,
        },
    )
    recommendation = client.recommend_tools(
        {
            "workflow_id": 10,
            "prompt_text": "Answer the user by searching the docs when needed.",
            "available_tools": [{"name": "search_docs"}, {"name": "fetch_url"}],
        }
    )
    assert recommendation["recommendations"][0]["name"] == "search_docs"
    run = client.create_tasks_async(22, 10, {"count": 1})
    status = client.wait_for_create_tasks(22, 10, run["job_id"], timeout=60)
    task = client.get_task(22, 10, status["task_ids"][0])
    node_db_id = next(n["id"] for n in task["nodes"] if n["node_id"] == node_id)
    history = client.get_tool_call_history(project_id=22, workflow_id=10, node_db_id=node_db_id)
    assert history["items"]
    result = client.evaluate_tool_correctness(
        workflow_id=10,
        node_db_id=node_db_id,
        payload={
            "field_id": field_id,
            "evaluation_params": ["input_parameters"],
            "should_exact_match": False,
            "should_consider_ordering": False,
        },
    )
    assert result["score"] == 1.0


def test_artifact_bundles(client: PipelinesClient) -> None:
    for kind in (
        "prompts",
        "criteria",
        "evaluations",
        "tool-endpoints",
        "tool-bindings",
        "tool-ground-truths",
    ):
        assert (
            client.artifact_bundle_template(kind=kind)["artifact_type"]
            == "pipelines.artifact.bundle.v1"
        )
    prompts = client.push_artifact_bundle(
        {
            "artifact_type": "pipelines.artifact.bundle.v1",
            "name": "rome-prompt-bundle",
            "prompts": [
                {
                    "name": "Concise Rome Prompt",
                    "prompt_text": "Create a concise 5 day Rome itinerary.",
                    "role": "user",
                    "scope_type": "org",
                    "org_id": 2,
                },
                {
                    "name": "Detailed Rome Prompt",
                    "prompt_text": "Create a detailed 5 day Rome itinerary with morning, afternoon, and evening plans.",
                    "role": "user",
                    "scope_type": "org",
                    "org_id": 2,
                },
            ],
            "criteria": [],
            "evaluations": [],
            "experiments": [],
        },
        idempotency_key_prefix="rome-demo",
    )
    assert [p["name"] for p in prompts["created"]["prompts"]] == [
        "Concise Rome Prompt",
        "Detailed Rome Prompt",
    ]
    criteria = client.push_artifact_bundle(
        {
            "artifact_type": "pipelines.artifact.bundle.v1",
            "name": "quality-criteria-bundle",
            "prompts": [],
            "criteria": [
                {
                    "name": "Exact Match",
                    "display_label": "Exact Match",
                    "type": "programmatic",
                    "config": {"subtype": "exact_match"},
                    "output_schema": {"type": "boolean"},
                    "scope_type": "org",
                    "org_id": 2,
                },
                {
                    "name": "Contains Required Keywords",
                    "display_label": "Contains Required Keywords",
                    "type": "programmatic",
                    "config": {
                        "subtype": "contains_keywords",
                        "keywords": ["Colosseum", "Vatican"],
                        "mode": "all",
                        "case_sensitive": False,
                    },
                    "output_schema": {"type": "boolean"},
                    "scope_type": "org",
                    "org_id": 2,
                },
            ],
            "evaluations": [],
            "experiments": [],
        }
    )
    assert len(criteria["created"]["criteria"]) == 2
    tools = client.push_artifact_bundle(
        {
            "artifact_type": "pipelines.artifact.bundle.v1",
            "name": "tool-endpoint-bundle",
            "tool_endpoints": [
                {
                    "org_id": 2,
                    "name": "Docs MCP endpoint",
                    "endpoint_type": "mcp_server",
                    "url": "https://tools.example.com/mcp",
                    "auth_type": "none",
                    "auth_config": {},
                }
            ],
        }
    )
    assert tools["created"]["tool_endpoints"][0]["id"]
    assert client.push_prompt_artifact({"name": "Demo prompt", "prompt_text": "Hello"})["id"]


def test_discovery_swaps_and_experiments(client: PipelinesClient, ids: dict[str, Any]) -> None:
    assert client.get_creation_mode(project_id=22, workflow_id=10)["requires_csv"] is False
    prompt_id = client.create_prompt(
        {
            "name": "Swap prompt",
            "prompt_text": "Create a concise {{days}} day {{city}} itinerary.",
            "role": "user",
            "scope_type": "org",
            "org_id": 2,
        }
    )["id"]
    node_id, field_id = ids["itinerary"]
    swap = {
        "count": 1,
        "configOverrides": {
            "prompts": [
                {"nodeId": node_id, "fieldId": field_id, "promptId": prompt_id, "version": 1}
            ]
        },
    }
    run = client.create_tasks_async(22, 10, swap, idempotency_key="prompt-swap-1")
    assert client.wait_for_create_tasks(22, 10, run["job_id"], timeout=300)["status"] == "completed"
    model = {
        "count": 1,
        "configOverrides": {"models": [{"nodeId": node_id, "modelSlug": "gemini-3.5-flash"}]},
    }
    run = client.create_tasks_async(22, 10, model)
    assert client.wait_for_create_tasks(22, 10, run["job_id"], timeout=300)["status"] == "completed"
    evaluation_id = client.list_evaluations(page_size=10)["items"][0]["id"]
    review_node, quality_field = ids["quality"]
    evaluation = {
        "count": 1,
        "configOverrides": {
            "evaluations": [
                {
                    "nodeId": review_node,
                    "fieldId": quality_field,
                    "evaluationId": evaluation_id,
                    "version": 1,
                }
            ]
        },
    }
    run = client.create_tasks_async(22, 10, evaluation)
    assert client.wait_for_create_tasks(22, 10, run["job_id"], timeout=300)["status"] == "completed"
    experiment = client.create_experiment(
        project_id=22,
        workflow_id=10,
        payload={
            "count": 1,
            "variants": [
                {"name": "baseline-copy", "configOverrides": {}},
                {
                    "name": "new-prompt",
                    "configOverrides": {
                        "prompts": [
                            {
                                "nodeId": node_id,
                                "fieldId": field_id,
                                "promptId": prompt_id,
                                "version": 1,
                            }
                        ]
                    },
                },
            ],
        },
        idempotency_key="rome-experiment-1",
    )
    final_status = client.wait_for_experiment(
        project_id=22, workflow_id=10, experiment_id=experiment["experiment_id"], timeout=300
    )
    assert final_status["status"] == "completed"
    assert final_status["variants"][0]["workflow_name"] == "Italy - Experiment baseline-copy"
    assert all(v["workflow_id"] != 10 and v["task_ids"] for v in final_status["variants"])
    client.cancel_experiment(22, 10, experiment["experiment_id"])
    assert (
        client.get_experiment_status(22, 10, experiment["experiment_id"])["variants"][0]["task_ids"]
        == final_status["variants"][0]["task_ids"]
    )


def test_pagination_identity_and_health(client: PipelinesClient) -> None:
    assert [p["id"] for p in client.iter_projects(page_size=50)] == [22]
    assert any(p["id"] for p in client.iter_prompts(scope_type="org", org_id=2))
    assert 10 in [w["id"] for w in client.iter_project_workflows(project_id=22)]
    me = client.whoami()
    assert (me["email"], me["org_id"]) == ("demo@pipelines.local", 2)
    assert client.health() == {"status": "ok"}
    assert client.auth_status()["authenticated"] is True

"""Every method of ``seed-methods.txt``, called against the running local backend over real HTTP.

One scenario, written once against the async client's surface, runs twice: with
:class:`AsyncPipelinesClient`, and with :class:`PipelinesClient` behind a thin adapter that turns
its results into awaitables and its iterators into async iterators. Every client the scenario uses
is wrapped in a recording proxy; the test ends by checking that no seed method was left uncalled.

The scenario follows the SDK guide: library configs and every criterion recipe, an evaluation,
a workflow of its own (LLM, tool, evaluation, human and human-rating nodes), configurable fields
and config swaps, tasks and experiments with their waiters, tool endpoints, bindings, ground truths
and tool correctness, artifact bundles, the human-task runtime (a contributor key and the org
admin key of the demo org), per-node LLM generation, datasets (import, export, eval), project files
(presigned upload), notebooks, workflow chains, notifications (list, count, mark read, NDJSON and
SSE streams) and organizations and users. It makes its own objects (unique names) and deletes what
the API lets it delete.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import os
import secrets
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

import anyio
import httpx
import pytest

from pytest_pipelines.client import (
    AsyncPipelinesClient,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PipelinesClient,
    ValidationError,
)
from pytest_pipelines.local import LocalPipelines

SEED_METHODS_FILE = Path(__file__).resolve().parents[1] / "data" / "seed-methods.txt"
ORG = 2
PROJECT = 22
TERMINAL = ("completed", "failed", "cancelled")
CSV_ROWS = b"question,answer,expected,score\nCapital of Italy?,Rome,Rome,3\nCapital of France?,Lyon,Paris,5\n"
PNG = b"\x89PNG\r\n\x1a\n-contract-test-bytes"


def seed_methods() -> list[str]:
    """The method names of ``seed-methods.txt`` (one a line)."""
    assert SEED_METHODS_FILE.is_file(), (
        f"{SEED_METHODS_FILE} is missing: it is part of the repository (tests/data/)"
    )
    lines = SEED_METHODS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


# -- the recording proxy and the sync adapter -------------------------------------------------


class Recorder:
    """Forwards every attribute to ``target``; a public method call adds its name to ``called``."""

    def __init__(self, target: object, called: set[str]) -> None:
        self._target = target
        self._called = called

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name.startswith("_") or not callable(value):
            return value
        called = self._called

        def record(*args: Any, **kwargs: Any) -> Any:
            called.add(name)
            return value(*args, **kwargs)

        return record


async def _aiter(items: Iterator[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


class SyncAsAsync:
    """The sync client seen through the async client's surface (same names, same arguments).

    A method that is a coroutine on the async client returns an awaitable of the sync result; a
    sync iterator (``iter_*``, ``paginate``, streams) becomes an async iterator; anything else
    (``artifact_bundle_template``) is returned as it is.
    """

    def __init__(self, sync: object) -> None:
        self._sync = sync

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._sync, name)
        if name.startswith("_") or not callable(value):
            return value
        coroutine = inspect.iscoroutinefunction(getattr(AsyncPipelinesClient, name, None))

        if coroutine:

            async def awaited(*args: Any, **kwargs: Any) -> Any:
                return value(*args, **kwargs)

            return awaited

        def plain(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            return _aiter(result) if isinstance(result, Iterator) else result

        return plain


# -- the scenario -----------------------------------------------------------------------------


@dataclass
class Ctx:
    """What the scenario's steps share."""

    admin: AsyncPipelinesClient
    contributor: AsyncPipelinesClient
    contributor_id: int
    unique: Callable[[str], str]
    cleanup: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)


async def collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


async def wait(get: Callable[[], Awaitable[Any]], tries: int = 1000) -> Any:
    """Poll a job status until it is terminal (sync adapter: each poll is a real request)."""
    for _ in range(tries):
        status = await get()
        if status["status"] in TERMINAL:
            return status
        await anyio.sleep(0.01)
    raise AssertionError(f"job not terminal: {status}")


def node_of(task: Mapping[str, Any], node_id: str) -> dict[str, Any]:
    return cast(dict[str, Any], next(n for n in task["nodes"] if n["node_id"] == node_id))


async def library(ctx: Ctx) -> None:
    """Read and create prompts, every criterion recipe, evaluations; list models and projects."""
    c, org = ctx.admin, {"scope_type": "org", "org_id": ORG}
    assert (await c.health())["status"] == "ok"
    me = await c.whoami()
    assert (me["id"], me["org_id"], me["email"]) == (1, ORG, "demo@pipelines.local")
    status = await c.auth_status()
    assert (status["authenticated"], status["org_id"]) == (True, ORG)
    assert (await c.list_prompts(page_size=10))["items"]
    assert (await c.list_criteria(page_size=10))["items"]
    assert (await c.list_evaluations(page_size=10))["items"]
    models = (await c.list_models(org_id=ORG, page_size=100))["items"]
    assert "echo" in [m.get("slug", m.get("id")) for m in models], models
    assert PROJECT in [p["id"] for p in (await c.list_projects(page_size=100))["items"]]
    assert PROJECT in [p["id"] for p in await collect(c.iter_projects(page_size=1))]

    prompt = await c.create_prompt(
        {
            "name": ctx.unique("prompt"),
            "prompt_text": "Plan {{days}} days in {{city}}.",
            "role": "user",
            **org,
        }
    )
    ctx.cleanup.append(lambda: c.delete_prompt(prompt["id"]))
    updated = await c.update_prompt(
        prompt["id"], {"prompt_text": "Day 1 in {{city}}: Colosseum; {{days}} days in all."}
    )
    assert (updated["id"], updated["version"]) == (prompt["id"], 2)
    mine = await collect(c.iter_prompts(scope_type="org", org_id=ORG, page_size=50))
    assert prompt["id"] in [p["id"] for p in mine]
    ctx.ids["prompt"] = prompt["id"]

    recipes: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
        "exact": (
            "programmatic",
            {"subtype": "exact_match", "case_sensitive": False, "strip_whitespace": True},
            {"type": "boolean"},
        ),
        "keywords": (
            "programmatic",
            {
                "subtype": "contains_keywords",
                "keywords": ["Colosseum", "Vatican"],
                "mode": "any",
                "case_sensitive": False,
            },
            {"type": "boolean"},
        ),
        "regex": (
            "programmatic",
            {"subtype": "regex_match", "pattern": r"Day\s+[1-5]", "flags": ["IGNORECASE"]},
            {"type": "boolean"},
        ),
        "json": (
            "programmatic",
            {"subtype": "json_validity", "schema": {"type": "object", "required": ["days"]}},
            {"type": "boolean"},
        ),
        "judge": (
            "llm_judge",
            {
                "model": "gemini-3.5-flash",
                "temperature": 0,
                "prompt_template": "Score the itinerary from 1 to 5. Return only the number.",
            },
            {"type": "rating", "range": [1, 5]},
        ),
        "metric": (
            "llm_metric",
            {"subtype": "answer_relevancy", "threshold": 0.7},
            {"type": "numeric", "range": [0, 1]},
        ),
        "human": (
            "human_rating",
            {"rubric": "1 = poor, 5 = excellent", "threshold": 3},
            {"type": "rating", "range": [1, 5], "labels": {"1": "Poor", "5": "Excellent"}},
        ),
    }
    criteria: dict[str, int] = {}
    for key, (kind, config, schema) in recipes.items():
        name = ctx.unique(f"criterion {key}")
        created = await c.create_criterion(
            {
                "name": name,
                "display_label": key,
                "type": kind,
                "config": config,
                "output_schema": schema,
                **org,
            }
        )
        assert (created["name"], created["type"]) == (name, kind)
        criteria[key] = created["id"]
    all_criteria = [cr["id"] async for cr in c.iter_criteria(page_size=100)]
    assert set(criteria.values()) <= set(all_criteria)
    ctx.ids["criteria"] = criteria

    machine = [k for k in recipes if k != "human"]
    recipes_eval = await c.create_evaluation(
        {
            "name": ctx.unique("every recipe"),
            "description": "every machine criterion recipe of the guide",
            "criteria": [{"criterion_id": criteria[k]} for k in machine],
            **org,
        }
    )
    assert [x["criterion_id"] for x in recipes_eval["criteria"]] == [criteria[k] for k in machine]
    exact_eval = await c.create_evaluation(
        {"name": ctx.unique("exact only"), "criteria": [{"criterion_id": criteria["exact"]}], **org}
    )
    human_eval = await c.create_evaluation(
        {"name": ctx.unique("human"), "criteria": [{"criterion_id": criteria["human"]}], **org}
    )
    for evaluation in (recipes_eval, exact_eval, human_eval):
        ctx.cleanup.append(partial(c.delete_evaluation, evaluation["id"]))
    for criterion_id in criteria.values():
        ctx.cleanup.append(partial(c.delete_criterion, criterion_id))
    listed = [e["id"] async for e in c.iter_evaluations(page_size=100)]
    assert {recipes_eval["id"], exact_eval["id"], human_eval["id"]} <= set(listed)
    ctx.ids.update(
        recipes_eval=recipes_eval["id"], exact_eval=exact_eval["id"], human_eval=human_eval["id"]
    )


def definition(ctx: Ctx) -> dict[str, Any]:
    """plan (inputs + LLM with the prompt), research (LLM with tools), review (evaluation),
    label (a human node with review), rate (a human-rating evaluation)."""
    return {
        "nodes": [
            {
                "id": "plan",
                "title": "Plan",
                "fields": [
                    {"id": "city", "type": "input", "title": "City", "default": "Rome"},
                    {"id": "days", "type": "input", "title": "Days", "default": 2},
                    {
                        "id": "itinerary",
                        "type": "llm",
                        "title": "Itinerary",
                        "prompt_id": ctx.ids["prompt"],
                        "prompt_version": 1,
                        "model": "demo-planner",
                    },
                ],
            },
            {
                "id": "research",
                "title": "Research",
                "fields": [
                    {
                        "id": "notes",
                        "type": "llm",
                        "title": "Notes",
                        "prompt_text": "Research {{city}}: search the docs for the top sights.",
                        "model": "demo-researcher",
                    }
                ],
            },
            {
                "id": "review",
                "title": "Review",
                "fields": [
                    {
                        "id": "quality",
                        "type": "evaluation",
                        "title": "Quality",
                        "target": {"node_id": "plan", "field_id": "itinerary"},
                        "evaluation_id": ctx.ids["exact_eval"],
                    }
                ],
            },
            {
                "id": "label",
                "title": "Label",
                "fields": [],
                "human": {"fields": [{"id": "verdict", "title": "Verdict"}], "review": True},
            },
            {
                "id": "rate",
                "title": "Rate",
                "fields": [
                    {
                        "id": "rating",
                        "type": "evaluation",
                        "title": "Rating",
                        "target": {"node_id": "plan", "field_id": "itinerary"},
                        "evaluation_id": ctx.ids["human_eval"],
                    }
                ],
            },
        ]
    }


async def workflow_and_tools(ctx: Ctx) -> None:
    """A workflow of our own, its discovery routes, a mock tool endpoint, a binding, a ground
    truth, tool recommendation and artifact bundles."""
    c = ctx.admin
    workflow = await c.create_workflow(
        PROJECT, {"name": ctx.unique("contract wf"), "definition": definition(ctx)}
    )
    wf = ctx.ids["workflow"] = workflow["id"]
    ctx.cleanup.append(lambda: c.delete_workflow(PROJECT, wf))
    assert wf in [w["id"] async for w in c.iter_project_workflows(PROJECT, page_size=100)]
    assert wf in [w["id"] async for w in c.paginate(f"/api/projects/{PROJECT}/workflows")]
    mode = await c.get_creation_mode(PROJECT, wf)
    assert (mode["requires_csv"], mode["mode"]) == (False, "direct")
    fields = (await c.get_configurable_fields(PROJECT, wf))["fields"]
    where = {(f["nodeId"], f["fieldId"]) for f in fields}
    assert {("plan", "itinerary"), ("research", "notes"), ("review", "quality")} <= where
    templates = await collect(c.iter_org_workflow_templates(ORG))
    assert "Human labeling with review" in [t["name"] for t in templates]

    demo_tools = [
        {
            "name": "search_docs",
            "description": "Search the docs",
            "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}},
            "response": "Results for {{query}}: Colosseum, Vatican Museums.",
        },
        {
            "name": "delete_record",
            "description": "Delete a record",
            "input_schema": {"type": "object", "properties": {"record_id": {"type": "string"}}},
            "response": "deleted {{record_id}}",
        },
    ]
    endpoint = await c.create_tool_endpoint(
        ORG,
        {
            "name": ctx.unique("mock tools"),
            "description": "contract test tools",
            "endpoint_type": "mock",
            "config": {"tools": demo_tools},
        },
    )
    endpoint_id = ctx.ids["endpoint"] = endpoint["id"]
    ctx.cleanup.append(lambda: c.delete_tool_endpoint(ORG, endpoint_id))
    assert [t["name"] for t in await c.list_endpoint_tools(ORG, endpoint_id)] == [
        "search_docs",
        "delete_record",
    ]
    refreshed = await c.refresh_tool_endpoint_tools(ORG, endpoint_id)
    assert (refreshed["changed"], refreshed["tool_count"]) == (False, 2)
    tested = await c.test_tool_endpoint(ORG, endpoint_id)
    assert (tested["ok"], tested["tool_count"]) == (True, 2)
    versions = (await c.list_tool_endpoint_versions(ORG, endpoint_id))["items"]
    assert [v["version"] for v in versions] == [1]
    assert endpoint_id in [e["id"] async for e in c.iter_tool_endpoints(ORG, page_size=100)]
    usage = await c.get_tool_endpoint_usage(ORG, endpoint_id)
    assert usage["total_calls"] == 0

    binding = await c.create_tool_binding(
        wf,
        {
            "node_id": "research",
            "field_id": "notes",
            "endpoint_id": endpoint_id,
            "selected_tools": ["search_docs", "delete_record"],
            "max_tool_rounds": 3,
        },
    )
    assert binding["selected_tools"] == ["search_docs", "delete_record"]
    assert [b["id"] async for b in c.iter_tool_bindings(wf)] == [binding["id"]]
    truth = await c.create_tool_ground_truth(
        wf,
        {
            "node_id": "research",
            "field_id": "notes",
            "expected_tools": [{"name": "search_docs"}],
            "excluded_tools": [{"name": "delete_record"}],
            "ordering_matters": False,
            "source": "manual",
            "confidence": 1.0,
        },
    )
    assert [t["id"] async for t in c.iter_tool_ground_truths(wf)] == [truth["id"]]
    ctx.cleanup.append(lambda: c.delete_tool_ground_truth(wf, truth["id"]))
    ctx.cleanup.append(lambda: c.delete_tool_binding(wf, binding["id"]))
    recommendation = await c.recommend_tools(
        {
            "workflow_id": wf,
            "prompt_text": "Answer the user by searching the docs when needed.",
            "available_tools": [{"name": "search_docs"}, {"name": "fetch_url"}],
        }
    )
    assert recommendation["recommendations"][0]["name"] == "search_docs"

    template = c.artifact_bundle_template(kind="prompts")
    assert template["artifact_type"] == "pipelines.artifact.bundle.v1"
    names = [ctx.unique("bundled prompt"), ctx.unique("bundled prompt")]
    summary = await c.push_artifact_bundle(
        {
            **template,
            "name": ctx.unique("bundle"),
            "prompts": [
                {"name": n, "prompt_text": "Hi", "role": "user", "scope_type": "org", "org_id": ORG}
                for n in names
            ],
        }
    )
    created = summary["created"]["prompts"]
    assert [p["name"] for p in created] == names
    for item in created:
        ctx.cleanup.append(partial(c.delete_prompt, item["id"]))
    one = await c.push_prompt_artifact({"name": ctx.unique("artifact prompt"), "prompt_text": "Hi"})
    ctx.cleanup.append(lambda: c.delete_prompt(one["id"]))
    criterion = await c.push_criterion_artifact(
        {
            "name": ctx.unique("artifact criterion"),
            "display_label": "Exact",
            "type": "programmatic",
            "config": {"subtype": "exact_match"},
            "output_schema": {"type": "boolean"},
        }
    )
    evaluation = await c.push_evaluation_artifact(
        {"name": ctx.unique("artifact eval"), "criteria": [{"criterion_id": criterion["id"]}]}
    )
    assert evaluation["criteria"][0]["criterion_id"] == criterion["id"]
    ctx.cleanup.append(lambda: c.delete_criterion(criterion["id"]))
    ctx.cleanup.append(lambda: c.delete_evaluation(evaluation["id"]))
    pushed = await c.push_tool_endpoint_artifact(
        {
            "org_id": ORG,
            "name": ctx.unique("artifact endpoint"),
            "endpoint_type": "mock",
            "config": {"tools": demo_tools[:1]},
        }
    )
    assert (pushed["org_id"], pushed["endpoint_type"]) == (ORG, "mock")
    ctx.cleanup.append(lambda: c.delete_tool_endpoint(ORG, pushed["id"]))


async def runs(ctx: Ctx) -> None:
    """Tasks with config swaps (prompt version, model, evaluation), tool calls and tool
    correctness, then an experiment that is waited for and cancelled."""
    c, wf = ctx.admin, ctx.ids["workflow"]
    payload = {
        "count": 2,
        "inputs": [{"city": "Rome", "days": 2}, {"city": "Rome", "days": 3}],
        "expected_outputs": ["day 1 in rome: colosseum; 2 days in all.", "nope"],
        "configOverrides": {
            "prompts": [
                {
                    "nodeId": "plan",
                    "fieldId": "itinerary",
                    "promptId": ctx.ids["prompt"],
                    "version": 2,
                }
            ],
            "models": [{"nodeId": "plan", "modelSlug": "echo"}],
            "evaluations": [
                {
                    "nodeId": "review",
                    "fieldId": "quality",
                    "evaluationId": ctx.ids["recipes_eval"],
                    "version": 1,
                }
            ],
        },
    }
    job = await c.create_tasks_async(
        PROJECT, wf, payload, idempotency_key=ctx.unique("create").replace(" ", "-")
    )
    status = await c.wait_for_create_tasks(PROJECT, wf, job["job_id"], timeout=60)
    assert status["status"] == "completed", status
    assert len(status["task_ids"]) == 2
    ctx.ids["tasks"] = status["task_ids"]
    task = await c.get_task(PROJECT, wf, status["task_ids"][0])
    assert task["id"] == status["task_ids"][0]
    plan = node_of(task, "plan")
    # the prompt swap (version 2) and the model swap (echo repeats the prompt) both applied
    assert plan["outputs"]["itinerary"] == "Day 1 in Rome: Colosseum; 2 days in all."
    results = {r["criterion_id"]: r for r in node_of(task, "review")["evaluation_results"]}
    criteria = ctx.ids["criteria"]
    assert set(results) == {criteria[k] for k in criteria if k != "human"}  # the eval swap
    assert results[criteria["exact"]]["passed"] is True
    assert results[criteria["keywords"]]["passed"] is True
    assert results[criteria["regex"]]["passed"] is True
    assert results[criteria["json"]]["passed"] is False
    assert 1 <= results[criteria["judge"]]["value"] <= 5
    assert 0 <= results[criteria["metric"]]["value"] <= 1
    rating = node_of(task, "rate")["evaluation_results"][0]
    assert rating["status"] == "pending"
    ctx.ids["nodes"] = {n["node_id"]: n["id"] for n in task["nodes"]}
    other = await c.get_task(PROJECT, wf, status["task_ids"][1])
    ctx.ids["other_nodes"] = {n["node_id"]: n["id"] for n in other["nodes"]}

    research = ctx.ids["nodes"]["research"]
    history = await c.get_tool_call_history(PROJECT, wf, research)
    assert history["items"], history
    assert {call["tool_name"] for call in history["items"]} == {"search_docs"}
    correctness = await c.evaluate_tool_correctness(
        wf,
        research,
        {
            "field_id": "notes",
            "evaluation_params": ["input_parameters"],
            "should_exact_match": False,
            "should_consider_ordering": False,
        },
    )
    assert correctness["score"] == 1.0
    usage = await c.get_tool_endpoint_usage(ORG, ctx.ids["endpoint"])
    assert usage["total_calls"] >= 2
    assert wf in usage["workflows"]

    experiment = await c.create_experiment(
        PROJECT,
        wf,
        {
            "count": 1,
            "variants": [
                {"name": "baseline", "configOverrides": {}},
                {
                    "name": "echo",
                    "configOverrides": {"models": [{"nodeId": "plan", "modelSlug": "echo"}]},
                },
            ],
        },
    )
    final = await c.wait_for_experiment(PROJECT, wf, experiment["experiment_id"], timeout=60)
    assert final["status"] == "completed", final
    copies = [v["workflow_id"] for v in final["variants"]]
    for copy in copies:
        ctx.cleanup.append(partial(c.delete_workflow, PROJECT, copy))
    assert wf not in copies
    assert all(v["task_ids"] for v in final["variants"])
    cancelled = await c.cancel_experiment(PROJECT, wf, experiment["experiment_id"])
    # cancellation is best effort: a completed experiment stays completed, its tasks stay
    assert cancelled["status"] == "completed"
    assert [v["task_ids"] for v in cancelled["variants"]] == [
        v["task_ids"] for v in final["variants"]
    ]


async def human_runtime(ctx: Ctx) -> None:
    """A contributor works its queue; the org admin reviews, and drives the admin overrides."""
    admin, me, wf = ctx.admin, ctx.contributor, ctx.ids["workflow"]
    label, rate = ctx.ids["nodes"]["label"], ctx.ids["nodes"]["rate"]

    assigned = await admin.admin_edit_subtask(
        PROJECT, wf, label, payload={"assignee_user_id": ctx.contributor_id}
    )
    assert (assigned["status"], assigned["assignee_user_id"]) == ("open", ctx.contributor_id)
    released = await me.release_node(PROJECT, wf, label)
    assert released["assignee_user_id"] is None
    queue = await me.get_my_work(PROJECT, page_size=1000)
    assert label in [w["node_db_id"] for w in queue["items"]]
    assert label in [w["node_db_id"] async for w in me.iter_my_work(PROJECT, page_size=5)]
    subtask = await me.get_subtask_node(PROJECT, wf, label)
    assert subtask["human"]["human_fields"] == [{"id": "verdict", "title": "Verdict"}]
    with pytest.raises(ValidationError):  # every human field is required
        await me.submit_subtask(PROJECT, wf, label, payload={"output": {}})
    first = await me.submit_subtask(PROJECT, wf, label, payload={"output": {"verdict": "ok"}})
    assert (first["status"], first["assignee_user_id"]) == ("in_review", ctx.contributor_id)
    mine = await me.get_my_submissions(PROJECT, page_size=1000)
    assert label in [s["node_db_id"] for s in mine["items"]]
    assert label in [s["node_db_id"] async for s in me.iter_my_submissions(PROJECT)]
    rejected = await admin.submit_review(
        PROJECT, wf, label, payload={"approved": False, "comment": "be specific"}
    )
    assert (rejected["status"], rejected["assignee_user_id"]) == ("open", ctx.contributor_id)
    second = await me.submit_subtask(PROJECT, wf, label, payload={"output": {"verdict": "good"}})
    assert second["attempt_count"] == 2
    reverted = await me.revert_node(PROJECT, wf, label, 1)
    assert reverted["attempts"][-1]["reverted_from"] == 1
    approved = await admin.submit_review(PROJECT, wf, label, payload={"approved": True})
    assert approved["status"] == "completed"
    history = await admin.get_node_history(PROJECT, wf, label)
    assert [a["output"]["verdict"] for a in history["attempts"]] == ["ok", "good", "ok"]
    assert [r["approved"] for r in history["reviews"]] == [False, True]
    task = await admin.get_task(PROJECT, wf, ctx.ids["tasks"][0])
    assert node_of(task, "label")["outputs"]["verdict"] == "ok"

    # a human rating through the review flow completes the pending evaluation result
    rated = await admin.submit_review(
        PROJECT,
        wf,
        rate,
        payload={"approved": True, "ratings": {str(ctx.ids["criteria"]["human"]): 4}},
    )
    assert rated["status"] == "completed"
    task = await admin.get_task(PROJECT, wf, ctx.ids["tasks"][0])
    result = node_of(task, "rate")["evaluation_results"][0]
    assert (result["status"], result["value"], result["passed"]) == ("completed", 4, True)

    with pytest.raises(ForbiddenError):  # the admin overrides are for org admins only
        await me.admin_submit_review(PROJECT, wf, label, payload={"approved": True})

    # the admin overrides, on the second task
    other = ctx.ids["other_nodes"]
    draft = await admin.admin_edit_subtask(
        PROJECT, wf, other["label"], payload={"output": {"verdict": "draft"}}
    )
    assert draft["status"] == "open"
    submitted = await admin.admin_submit_subtask(
        PROJECT, wf, other["label"], payload={"output": {"verdict": "admin"}}
    )
    assert (submitted["status"], submitted["attempts"][-1]["source"]) == ("in_review", "admin")
    reviewed = await admin.admin_submit_review(
        PROJECT, wf, other["label"], payload={"approved": True, "comment": "ok"}
    )
    assert reviewed["status"] == "completed"
    edited = await admin.admin_edit_review(PROJECT, wf, other["label"], payload={"comment": "fine"})
    assert edited["reviews"][-1]["comment"] == "fine"
    inline = await admin.admin_inline_edit(
        PROJECT, wf, other["plan"], payload={"field_id": "itinerary", "value": ""}
    )
    assert inline["outputs"]["itinerary"] == ""


async def generation(ctx: Ctx) -> None:
    """Per-node LLM generation on the second task's plan node (emptied by the inline edit)."""
    c, wf, plan = ctx.admin, ctx.ids["workflow"], ctx.ids["other_nodes"]["plan"]
    assert (await c.get_llm_progress(PROJECT, wf, plan))["status"] == "idle"
    expected = "Day 1 in Rome: Colosseum; 3 days in all."  # the run's pinned swaps
    generated = await c.generate_llm_fields(PROJECT, wf, plan)
    assert [(f["field_id"], f["output"]) for f in generated["fields"]] == [("itinerary", expected)]
    again = await c.regenerate_llm(PROJECT, wf, plan)
    assert (again["mode"], again["fields"][0]["model"]) == ("regenerate", "echo")
    admin = await c.admin_regenerate_llm(PROJECT, wf, plan, payload={"field_ids": ["itinerary"]})
    assert (admin["mode"], admin["status"]) == ("admin_regenerate", "completed")
    progress = await c.get_llm_progress(PROJECT, wf, plan)
    assert (progress["status"], progress["percent"]) == ("completed", 100.0)
    assert (await c.get_llm_error(PROJECT, wf, plan))["error"] is None
    generations = (await c.get_llm_generation_history(PROJECT, wf, plan))["items"]
    assert [g["mode"] for g in generations] == ["generate", "regenerate", "admin_regenerate"]
    analytics = await c.get_workflow_llm_analytics(PROJECT, wf)
    echo = next(m for m in analytics["models"] if m["model"] == "echo")
    assert echo["by_source"]["run"] == 2
    assert echo["errors"] == 0
    assert echo["by_source"]["admin_regenerate"] == 1


async def datasets_and_files(ctx: Ctx) -> None:
    """Import (preview, job, cancel of a finished job), export, eval runs, a file column bundled
    in a zip export through the presigned file flow, notebooks and task export."""
    c = ctx.admin
    preview = await c.preview_dataset_import_file(CSV_ROWS, filename="data.csv")
    assert (preview["row_count"], [col["name"] for col in preview["columns"]]) == (
        2,
        ["question", "answer", "expected", "score"],
    )
    name = ctx.unique("dataset")
    started = await c.import_dataset_from_file(
        CSV_ROWS, name=name, description="contract", org_id=ORG, filename="data.csv"
    )
    job = await wait(lambda: c.get_dataset_import_job(started["job_id"]))
    assert job["status"] == "completed", job
    again = await c.cancel_dataset_import_job(started["job_id"])
    assert (again["status"], again["finished_at"]) == ("completed", job["finished_at"])
    dataset_id = started["dataset_id"]
    assert dataset_id in [d["id"] async for d in c.iter_datasets(page_size=100)]
    rows = list(csv.DictReader(io.StringIO((await c.export_dataset(dataset_id, "csv")).decode())))
    assert [(r["question"], r["answer"]) for r in rows] == [
        ("Capital of Italy?", "Rome"),
        ("Capital of France?", "Lyon"),
    ]

    config = await c.get_dataset_eval_config(dataset_id)
    assert config["suggested"] == {"output_column": "answer", "expected_column": "expected"}
    eval_payload = {"evaluation_id": ctx.ids["exact_eval"], **config["suggested"]}
    previewed = await c.preview_dataset_eval(dataset_id, {**eval_payload, "limit": 1})
    assert [r["results"][0]["passed"] for r in previewed["rows"]] == [True]
    run = await c.run_dataset_eval(dataset_id, eval_payload)
    done = await wait(lambda: c.get_dataset_eval_status(dataset_id, run["job_id"]))
    assert done["status"] == "completed", done
    assert [r["results"][0]["passed"] for r in done["result"]["rows"]] == [True, False]

    notebooks = await collect(c.iter_dataset_notebooks(dataset_id))
    assert len(notebooks) == 1
    notebook = await c.get_notebook(notebooks[0]["id"])
    assert notebook["dataset_id"] == dataset_id
    cells = [
        {
            "type": "query",
            "columns": ["answer"],
            "filters": [{"column": "score", "op": "gt", "value": 3}],
        }
    ]
    saved = await c.save_notebook(notebook["id"], payload={"cells": cells})
    assert (saved["saved_cells"], saved["version"]) == (cells, 1)
    shown = await c.preview_notebook(notebook["id"], payload={"limit": 10, "cells": cells})
    assert shown["rows"] == [{"answer": "Lyon"}]
    ctx.cleanup.append(lambda: c.delete_notebook(notebook["id"]))

    ticket = await c.request_project_file_upload_url(
        PROJECT, {"filename": "photo.png", "content_type": "image/png"}
    )
    file_id = ticket["file_id"]
    async with httpx.AsyncClient() as raw:
        put = await raw.put(ticket["upload_url"], content=PNG, headers=ticket.get("headers") or {})
        assert put.status_code == 200
        confirmed = await c.confirm_project_file_upload(PROJECT, file_id, size_bytes=len(PNG))
        assert confirmed["status"] == "confirmed"
        url = (await c.get_project_file_url(PROJECT, file_id))["url"]
        assert (await raw.get(url)).content == PNG
    with_files = await c.import_dataset_from_file(
        json.dumps([{"name": "a", "image": f"file://{file_id}"}]).encode(),
        name=ctx.unique("files dataset"),
        org_id=ORG,
        filename="rows.json",
    )
    assert (await wait(lambda: c.get_dataset_import_job(with_files["job_id"])))[
        "status"
    ] == "completed"
    archive = zipfile.ZipFile(io.BytesIO(await c.export_dataset(with_files["dataset_id"], "zip")))
    assert archive.read(f"files/{file_id}-photo.png") == PNG
    collected = await c.delete_project_file(PROJECT, file_id)
    assert collected["status"] == "collected"
    with pytest.raises(NotFoundError):  # a collected file has no url any more
        await c.get_project_file_url(PROJECT, file_id)

    exported = await c.export_tasks(
        PROJECT, ctx.ids["workflow"], {"format": "csv", "include_files": False}
    )
    task_rows = list(csv.DictReader(io.StringIO(exported["content"])))
    assert sorted(int(r["task_id"]) for r in task_rows) == sorted(ctx.ids["tasks"])


async def chains_notifications_orgs(ctx: Ctx) -> None:
    """Workflow chains; the contributor's notifications (from the two reviews) and streams;
    organizations and users."""
    c, me, wf = ctx.admin, ctx.contributor, ctx.ids["workflow"]
    chain = await c.create_workflow_chain(
        PROJECT, {"name": ctx.unique("chain"), "workflow_ids": [wf]}
    )
    got = await c.get_workflow_chain(PROJECT, chain["id"])
    assert [s["workflow_id"] for s in got["steps"]] == [wf]
    assert chain["id"] in [x["id"] async for x in c.iter_workflow_chains(PROJECT)]
    await c.delete_workflow_chain(PROJECT, chain["id"])
    with pytest.raises(NotFoundError):
        await c.get_workflow_chain(PROJECT, chain["id"])

    label = ctx.ids["nodes"]["label"]
    titles = [n["title"] async for n in me.iter_notifications()]
    assert titles == [
        f"Your submission on node {label} was approved",
        f"Your submission on node {label} was rejected",
    ]
    assert (await me.get_unread_notification_count())["count"] == 2
    lines = [
        json.loads(line)
        async for line in me.stream_lines("GET", "/api/notifications", params={"stream": "ndjson"})
        if line
    ]
    assert [n["title"] for n in lines] == titles[::-1]  # the stream is oldest first
    raw = b"".join(
        [
            chunk
            async for chunk in me.request_stream(
                "GET",
                "/api/notifications",
                params={"since_id": lines[0]["id"]},
                headers={"Accept": "text/event-stream"},
            )
        ]
    )
    assert raw.decode().startswith(f"id: {lines[1]['id']}\nevent: notification\ndata: ")
    marked = await me.mark_notifications_read(notification_ids=[lines[0]["id"]])
    assert (marked["updated"], marked["unread"]) == (1, 1)
    await me.mark_notifications_read(all=True)
    assert (await me.get_unread_notification_count())["count"] == 0
    with pytest.raises(NotFoundError):  # unknown ids are a 404
        await me.mark_notifications_read(notification_ids=[10**9])

    assert ORG in [o["id"] async for o in c.iter_organizations()]
    org = await c.get_organization(ORG)
    assert org["id"] == ORG
    # user_count is served by get_organization but not declared on types.Organization
    assert cast(dict[str, Any], org)["user_count"] >= 2
    assert ctx.contributor_id in [u["id"] async for u in c.iter_org_users(ORG, page_size=2)]
    assert ctx.contributor_id in [u["id"] async for u in c.iter_users(page_size=2)]
    user = await c.get_user(ctx.contributor_id)
    assert (user["role"], user["org_id"]) == ("contributor", ORG)
    assert (await me.whoami())["id"] == ctx.contributor_id


async def scenario(ctx: Ctx) -> None:
    """The whole guide, in order; then delete what the API lets us delete."""
    try:
        await library(ctx)
        await workflow_and_tools(ctx)
        await runs(ctx)
        await human_runtime(ctx)
        await generation(ctx)
        await datasets_and_files(ctx)
        await chains_notifications_orgs(ctx)
    finally:
        for undo in reversed(ctx.cleanup):
            with suppress(NotFoundError, ConflictError):
                await undo()


# -- the tests --------------------------------------------------------------------------------


def test_seed_methods_exist_on_both_clients() -> None:
    names = seed_methods()
    assert len(names) == len(set(names)) > 0
    missing = [
        n for n in names if not (hasattr(PipelinesClient, n) and hasattr(AsyncPipelinesClient, n))
    ]
    assert missing == []


@pytest.mark.anyio
@pytest.mark.parametrize("flavor", ["sync", "async"])
async def test_every_seed_method(
    flavor: str, local_backend: LocalPipelines, unique: Callable[[str], str]
) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    email = f"contract-{flavor}-{worker}-{secrets.token_hex(4)}@pipelines.local"
    user = local_backend.seed(
        {
            "users": [
                {
                    "email": email,
                    "name": "contract contributor",
                    "org_id": ORG,
                    "role": "contributor",
                }
            ]
        }
    )["created"]["users"][0]
    key = f"pk_local_contract_{secrets.token_hex(12)}"
    local_backend.seed(
        {
            "api_keys": [
                {"key": key, "name": "contract", "org_id": ORG, "user_id": user, "scopes": ["*"]}
            ]
        }
    )
    called: set[str] = set()
    async with AsyncExitStack() as stack:

        async def open_client(api_key: str | None) -> AsyncPipelinesClient:
            if flavor == "sync":
                sync = stack.enter_context(local_backend.client(api_key=api_key))
                return cast(AsyncPipelinesClient, SyncAsAsync(Recorder(sync, called)))
            real = await stack.enter_async_context(local_backend.async_client(api_key=api_key))
            return cast(AsyncPipelinesClient, Recorder(real, called))

        ctx = Ctx(
            admin=await open_client(None),
            contributor=await open_client(key),
            contributor_id=user,
            unique=unique,
        )
        await scenario(ctx)

    missing = sorted(set(seed_methods()) - called)
    assert set(seed_methods()) - called == set(), f"seed methods never called ({flavor}): {missing}"

"""Workflows, tasks, config swaps, evaluations and experiments over HTTP (sync client)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_pipelines.client import ConflictError, NotFoundError, PipelinesClient
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._http.deps import MAX_TASKS_PER_REQUEST, TOO_MANY_TASKS
from pytest_pipelines.local.models import ModelRequest

HUGE = 10**20  # beyond SQLite's 64-bit integers

TERMINAL = {
    "completed",
    "failed",
    "cancelled",
    "partially_cancelled",
    "completed_with_partial_results",
}


def find_prompt(client: PipelinesClient, name: str) -> dict[str, Any]:
    items = client.list_prompts(name=name)["items"]
    assert len(items) == 1, items
    return dict(items[0])


def node(detail: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in detail["nodes"] if n["node_id"] == node_id)


@pytest.fixture
def project(client: PipelinesClient, unique: Callable[[str], str]) -> dict[str, Any]:
    return dict(client.create_project({"name": unique("project")}))


def simple_workflow(
    client: PipelinesClient, project: dict[str, Any], name: str, model: str, **extra: Any
) -> dict[str, Any]:
    definition = {
        "nodes": [
            {
                "id": "n",
                "title": "N",
                "fields": [
                    {"id": "topic", "type": "input", "default": "Rome"},
                    {"id": "answer", "type": "llm", "prompt_text": "Say {{topic}}", "model": model},
                    *extra.pop("fields", []),
                ],
            }
        ]
    }
    return dict(
        client.create_workflow(project["id"], {"name": name, "definition": definition, **extra})
    )


def test_demo_workflow_discovery(client: PipelinesClient) -> None:
    fields = client.get_configurable_fields(project_id=22, workflow_id=10)["fields"]
    assert [(f["nodeId"], f["fieldId"], f["supports"]) for f in fields] == [
        ("plan", "itinerary", ["prompt", "model"]),
        ("research", "notes", ["prompt", "model"]),
        ("review", "quality", ["evaluation"]),
    ]
    assert client.get_creation_mode(project_id=22, workflow_id=10)["requires_csv"] is False


def test_creation_mode_requires_csv_without_defaults_or_seed_rows(
    client: PipelinesClient, project: dict[str, Any], unique: Callable[[str], str]
) -> None:
    wf = client.create_workflow(
        project["id"],
        {
            "name": unique("wf"),
            "definition": {"nodes": [{"id": "n", "fields": [{"id": "city", "type": "input"}]}]},
        },
    )
    assert client.get_creation_mode(project["id"], wf["id"])["requires_csv"] is True
    client.update_workflow(project["id"], wf["id"], {"seed_rows": [{"city": "Rome"}]})
    assert client.get_creation_mode(project["id"], wf["id"])["requires_csv"] is False


def test_invalid_definition_is_422(http: httpx.Client, project: dict[str, Any]) -> None:
    response = http.post(
        f"/api/projects/{project['id']}/workflows",
        json={
            "name": "w",
            "definition": {
                "nodes": [
                    {
                        "id": "n",
                        "fields": [
                            {
                                "id": "q",
                                "type": "evaluation",
                                "evaluation_id": 1,
                                "target": {"node_id": "n", "field_id": "nope"},
                            }
                        ],
                    }
                ]
            },
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == [
        "body",
        "definition",
        "nodes",
        0,
        "fields",
        0,
        "target",
    ]


def test_sync_create_tasks_runs_everything(client: PipelinesClient) -> None:
    result = client.create_tasks(22, 10, {"count": 2})
    assert result["status"] == "completed"
    assert result["total"] == 2
    assert result["evaluated"] == 2
    detail = client.get_task(22, 10, result["task_ids"][0])
    assert detail["status"] == "completed"
    assert detail["inputs"] == {"city": "Rome", "days": 5}
    plan, research, review = (node(detail, n) for n in ("plan", "research", "review"))
    assert len({plan["id"], research["id"], review["id"]}) == 3
    assert "Day 1" in plan["outputs"]["itinerary"]
    assert plan["fields"][0]["prompt_version"] == 1
    results = {r["criterion_name"]: r for r in review["evaluation_results"]}
    assert results["Mentions Rome Highlights"]["passed"] is True
    assert results["Has Day Number"]["value"] is True
    judge = results["Itinerary Quality Judge"]
    assert judge["status"] == "completed"
    assert 1 <= judge["value"] <= 5
    assert judge["passed"] == (judge["value"] >= 3)
    assert [c["tool_name"] for c in research["tool_calls"]] == ["search_docs"]
    assert research["tool_calls"][0]["endpoint_id"] is not None
    history = client.get_tool_call_history(project_id=22, workflow_id=10, node_db_id=research["id"])
    assert [c["id"] for c in history["items"]] == [c["id"] for c in research["tool_calls"]]
    # the second seed row is used round-robin
    assert client.get_task(22, 10, result["task_ids"][1])["inputs"] == {"city": "Rome", "days": 3}


def test_async_job_status_and_wait(client: PipelinesClient) -> None:
    job = client.create_tasks_async(22, 10, {"count": 3, "inputs": [{"city": "Rome", "days": 2}]})
    assert job["job_id"].startswith("job-")
    final = client.wait_for_create_tasks(22, 10, job["job_id"], timeout=60)
    assert final["status"] == "completed"
    assert (final["total"], final["completed"], final["failed"]) == (3, 3, 0)
    assert final["task_ids"] == job["task_ids"]
    assert final["finished_at"] is not None


def test_prompt_swap_changes_output_and_never_the_saved_workflow(client: PipelinesClient) -> None:
    before = client.get_workflow(22, 10)
    concise = find_prompt(client, "Concise Rome prompt")
    swapped = client.create_tasks(
        22,
        10,
        {
            "count": 1,
            "configOverrides": {
                "prompts": [
                    {
                        "nodeId": "plan",
                        "fieldId": "itinerary",
                        "promptId": concise["id"],
                        "version": 1,
                    }
                ]
            },
        },
    )
    baseline = client.create_tasks(22, 10, {"count": 1})
    swapped_plan = node(client.get_task(22, 10, swapped["task_ids"][0]), "plan")
    baseline_plan = node(client.get_task(22, 10, baseline["task_ids"][0]), "plan")
    assert swapped_plan["fields"][0]["prompt_id"] == concise["id"]
    assert swapped_plan["outputs"]["itinerary"] != baseline_plan["outputs"]["itinerary"]
    assert client.get_workflow(22, 10)["definition"] == before["definition"]


def test_model_swap_to_unknown_slug_fails_task_with_how_to_register(
    client: PipelinesClient,
) -> None:
    result = client.create_tasks(
        22,
        10,
        {
            "count": 1,
            "configOverrides": {"models": [{"nodeId": "plan", "modelSlug": "no-such-model"}]},
        },
    )
    assert result["status"] == "failed"
    task = client.get_task(22, 10, result["task_ids"][0])
    assert task["status"] == "failed"
    assert "no-such-model" in task["error"]
    assert "register" in task["error"]


def test_model_swap_uses_other_model(client: PipelinesClient) -> None:
    result = client.create_tasks(
        22,
        10,
        {
            "count": 1,
            "configOverrides": {
                "models": [{"nodeId": "plan", "fieldId": "itinerary", "modelSlug": "echo"}]
            },
        },
    )
    plan = node(client.get_task(22, 10, result["task_ids"][0]), "plan")
    assert plan["fields"][0]["model"] == "echo"
    assert plan["outputs"]["itinerary"] == "Plan a 5 day itinerary for Rome."


def test_evaluation_swap_with_expected_outputs(
    client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    exact = client.create_criterion(
        {
            "name": unique("exact"),
            "display_label": "Exact",
            "type": "programmatic",
            "config": {"subtype": "exact_match", "case_sensitive": False},
            "output_schema": {"type": "boolean"},
        }
    )
    human = client.create_criterion(
        {
            "name": unique("human"),
            "display_label": "Human",
            "type": "human_rating",
            "config": {"rubric": "1-5"},
            "output_schema": {"type": "rating", "range": [1, 5]},
        }
    )
    broken_judge = client.create_criterion(
        {
            "name": unique("judge"),
            "display_label": "Judge",
            "type": "llm_judge",
            "config": {"model": "missing-judge", "prompt_template": "Rate 1 to 5"},
            "output_schema": {"type": "rating", "range": [1, 5]},
        }
    )
    evaluation = client.create_evaluation(
        {
            "name": unique("eval"),
            "criteria": [{"criterion_id": c["id"]} for c in (exact, human, broken_judge)],
        }
    )
    overrides = {
        "models": [{"nodeId": "plan", "modelSlug": "echo"}],
        "evaluations": [
            {
                "nodeId": "review",
                "fieldId": "quality",
                "evaluationId": evaluation["id"],
                "version": 1,
            }
        ],
    }
    result = client.create_tasks(
        22,
        10,
        {
            "count": 2,
            "inputs": [{"city": "Rome", "days": 5}],
            "expected_outputs": ["PLAN A 5 DAY ITINERARY FOR ROME.", "something else"],
            "configOverrides": overrides,
        },
    )
    first, second = (
        node(client.get_task(22, 10, t), "review")["evaluation_results"] for t in result["task_ids"]
    )
    by_id = {r["criterion_id"]: r for r in first}
    assert by_id[exact["id"]]["passed"] is True
    assert {r["criterion_id"]: r for r in second}[exact["id"]]["passed"] is False
    assert by_id[human["id"]]["status"] == "pending"
    assert by_id[broken_judge["id"]]["status"] == "error"
    assert "missing-judge" in by_id[broken_judge["id"]]["error"]
    assert by_id[broken_judge["id"]]["value"] is None


def test_override_naming_unknown_node_is_422(http: httpx.Client) -> None:
    response = http.post(
        "/api/projects/22/workflows/10/create-tasks",
        json={"count": 1, "configOverrides": {"models": [{"nodeId": "nope", "modelSlug": "echo"}]}},
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "configOverrides", "models", 0, "nodeId"]
    assert "plan, research, review" in detail["msg"]


def test_idempotency_key_same_payload_same_job_different_payload_409(
    client: PipelinesClient, unique_key: Callable[[str], str]
) -> None:
    key = unique_key("idem")
    first = client.create_tasks_async(22, 10, {"count": 1}, idempotency_key=key)
    again = client.create_tasks_async(22, 10, {"count": 1}, idempotency_key=key)
    assert again == first
    with pytest.raises(ConflictError, match="different payload"):
        client.create_tasks_async(22, 10, {"count": 2}, idempotency_key=key)


@pytest.fixture
def slow_model(local_backend: LocalPipelines, unique: Callable[[str], str]) -> str:
    slug = unique("slow").replace(" ", "-").replace("[", "").replace("]", "")
    local_backend.registry.register(slug, lambda request: "slow answer", latency=0.2)
    return slug


def test_cancel_job_keeps_finished_work(
    client: PipelinesClient,
    project: dict[str, Any],
    slow_model: str,
    unique: Callable[[str], str],
    local_backend: LocalPipelines,
) -> None:
    wf = simple_workflow(client, project, unique("wf"), slow_model)
    # five rounds of the pool (1 s of 0.2 s tasks): most tasks are still queued at the cancel
    count = 5 * local_backend.workers
    job = client.create_tasks_async(project["id"], wf["id"], {"count": count})
    in_flight = client.get_create_tasks_status(project["id"], wf["id"], job["job_id"])
    assert in_flight["status"] in ("queued", "running")
    assert in_flight["finished_at"] is None
    cancelled = client.cancel_create_tasks(project["id"], wf["id"], job["job_id"])
    final = client.wait_for_create_tasks(project["id"], wf["id"], job["job_id"], timeout=60)
    assert final["status"] in ("cancelled", "partially_cancelled")
    assert final["cancelled"] >= cancelled["cancelled"] > 0
    assert final["completed"] + final["cancelled"] == count
    assert final["task_ids"] == job["task_ids"]


def test_tasks_of_one_job_run_in_parallel(
    client: PipelinesClient, project: dict[str, Any], slow_model: str, unique: Callable[[str], str]
) -> None:
    wf = simple_workflow(client, project, unique("wf"), slow_model)
    result = client.create_tasks(project["id"], wf["id"], {"count": 8})
    assert result["status"] == "completed"
    started = sorted(t["started_at"] for t in result["tasks"])
    finished = sorted(t["finished_at"] for t in result["tasks"])
    # with 8 workers, every task starts before the first one (0.2 s of latency) finishes
    assert started[-1] < finished[0]


def test_status_summary_counts_tasks(
    client: PipelinesClient, project: dict[str, Any], unique: Callable[[str], str]
) -> None:
    wf = simple_workflow(client, project, unique("wf"), "echo")
    client.create_tasks(project["id"], wf["id"], {"count": 3})
    summary = client.get_workflow_status(project["id"], wf["id"])
    assert summary["by_status"]["completed"] == 3
    assert summary["total_tasks"] == 3


def test_experiment_copies_workflow_per_variant(client: PipelinesClient) -> None:
    detailed = find_prompt(client, "Detailed Rome prompt")
    experiment = client.create_experiment(
        22,
        10,
        {
            "count": 1,
            "variants": [
                {"name": "baseline-copy", "configOverrides": {}},
                {
                    "name": "new-prompt",
                    "configOverrides": {
                        "prompts": [
                            {
                                "nodeId": "plan",
                                "fieldId": "itinerary",
                                "promptId": detailed["id"],
                                "version": 1,
                            }
                        ]
                    },
                },
            ],
        },
    )
    final = client.wait_for_experiment(
        project_id=22, workflow_id=10, experiment_id=experiment["experiment_id"], timeout=60
    )
    assert final["status"] == "completed"
    names = [v["workflow_name"] for v in final["variants"]]
    assert names == ["Italy - Experiment baseline-copy", "Italy - Experiment new-prompt"]
    copies = [client.get_workflow(22, v["workflow_id"]) for v in final["variants"]]
    assert copies[1]["definition"]["nodes"][0]["fields"][2]["prompt_id"] == detailed["id"]
    assert copies[0]["definition"] == client.get_workflow(22, 10)["definition"]
    outputs = [
        node(client.get_task(22, v["workflow_id"], v["task_ids"][0]), "plan")["outputs"][
            "itinerary"
        ]
        for v in final["variants"]
    ]
    assert outputs[0] != outputs[1]
    # tool bindings travel with the copy
    research = node(
        client.get_task(
            22, final["variants"][1]["workflow_id"], final["variants"][1]["task_ids"][0]
        ),
        "research",
    )
    assert research["tool_calls"]


def test_experiment_cancel_is_best_effort(
    client: PipelinesClient, project: dict[str, Any], slow_model: str, unique: Callable[[str], str]
) -> None:
    wf = simple_workflow(client, project, unique("wf"), slow_model)
    experiment = client.create_experiment(
        project["id"], wf["id"], {"count": 20, "variants": [{"name": "a"}, {"name": "b"}]}
    )
    client.cancel_experiment(project["id"], wf["id"], experiment["experiment_id"])
    final = client.wait_for_experiment(
        project["id"], wf["id"], experiment["experiment_id"], timeout=60
    )
    assert final["status"] in ("cancelled", "partially_cancelled")
    for variant in final["variants"]:
        assert len(variant["task_ids"]) == 20
        assert variant["completed"] + variant["cancelled"] == 20


def test_unknown_job_and_task_are_404(client: PipelinesClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_create_tasks_status(22, 10, "job-99999999")
    with pytest.raises(NotFoundError):
        client.get_task(22, 10, 99999999)


def test_many_parallel_clients_lose_nothing(
    local_backend: LocalPipelines, project: dict[str, Any], unique: Callable[[str], str]
) -> None:
    with local_backend.client() as c:
        wf = simple_workflow(c, project, unique("wf"), "echo")
    jobs: list[dict[str, Any]] = []
    lock = threading.Lock()

    def worker() -> None:
        with local_backend.client() as own:
            for _ in range(3):
                job = own.create_tasks_async(project["id"], wf["id"], {"count": 5})
                with lock:
                    jobs.append(job)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(jobs) == 24
    with local_backend.client() as c:
        for job in jobs:
            assert (
                c.wait_for_create_tasks(project["id"], wf["id"], job["job_id"], timeout=60)[
                    "completed"
                ]
                == 5
            )
        assert c.get_workflow_status(project["id"], wf["id"])["by_status"]["completed"] == 120


def test_model_receives_rendered_prompt_and_metadata(
    local_backend: LocalPipelines,
    client: PipelinesClient,
    project: dict[str, Any],
    unique: Callable[[str], str],
) -> None:
    seen: list[ModelRequest] = []
    slug = "spy-" + str(abs(hash(unique("spy"))))
    local_backend.registry.register(slug, lambda request: seen.append(request) or "ok")
    wf = simple_workflow(client, project, unique("wf"), slug)
    client.create_tasks(project["id"], wf["id"], {"count": 1, "inputs": [{"topic": "Milan"}]})
    assert [r.prompt for r in seen] == ["Say Milan"]
    assert seen[0].metadata["field_id"] == "answer"


@pytest.mark.parametrize(
    ("path", "payload", "loc"),
    [
        ("create-tasks", {"count": 0}, ["body", "count"]),
        ("seeded-data/create-tasks-async", {"count": "two"}, ["body", "count"]),
        (
            "seeded-data/create-tasks-async",
            {
                "count": 1,
                "configOverrides": {
                    "prompts": [
                        {
                            "nodeId": "plan",
                            "fieldId": "itinerary",
                            "promptId": 99999999,
                            "version": 1,
                        }
                    ]
                },
            },
            ["body", "configOverrides", "prompts", 0, "promptId"],
        ),
        (
            "experiments",
            {"count": 1, "variants": [{"name": "a"}, {"name": "a"}]},
            ["body", "variants", 1, "name"],
        ),
        (
            "experiments",
            {
                "count": 1,
                "variants": [
                    {
                        "name": "a",
                        "configOverrides": {"models": [{"nodeId": "ghost", "modelSlug": "echo"}]},
                    }
                ],
            },
            ["body", "variants", 0, "configOverrides", "models", 0, "nodeId"],
        ),
    ],
)
def test_invalid_run_payloads_are_422_naming_the_field(
    http: httpx.Client, path: str, payload: dict[str, Any], loc: list[Any]
) -> None:
    before = http.get("/api/projects/22/workflows/10/status-summary").json()["total_tasks"]
    response = http.post(f"/api/projects/22/workflows/10/{path}", json=payload)
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["detail"]]
    # nothing was created
    assert http.get("/api/projects/22/workflows/10/status-summary").json()["total_tasks"] == before


def test_project_and_workflow_archive(
    client: PipelinesClient, project: dict[str, Any], unique: Callable[[str], str]
) -> None:
    wf = simple_workflow(client, project, unique("wf"), "echo")
    assert client.archive_workflow(project["id"], wf["id"])["status"] == "archived"
    assert client.archive_project(project["id"])["archived"] is True
    assert client.unarchive_project(project["id"])["archived"] is False
    client.delete_workflow(project["id"], wf["id"])
    with pytest.raises(NotFoundError):
        client.get_workflow(project["id"], wf["id"])


def test_count_over_the_per_request_limit_is_422_naming_count(http: httpx.Client) -> None:
    for count in (MAX_TASKS_PER_REQUEST + 1, HUGE):
        answer = http.post(
            "/api/projects/22/workflows/10/seeded-data/create-tasks-async",
            json={"count": count},
            timeout=10,
        )
        assert answer.status_code == 422, answer.text[:300]
        assert answer.json()["detail"] == [
            {
                "loc": ["body", "count"],
                "msg": TOO_MANY_TASKS.format(total=count, limit=MAX_TASKS_PER_REQUEST),
                "type": "less_than_equal",
            }
        ]
    variants = [{"name": f"v{n}", "configOverrides": {}} for n in range(3)]
    count = MAX_TASKS_PER_REQUEST // 3 + 1
    answer = http.post(
        "/api/projects/22/workflows/10/experiments", json={"count": count, "variants": variants}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "count"]
    assert str(count * 3) in answer.json()["detail"][0]["msg"]


TASKS_ASYNC = "/api/projects/22/workflows/10/seeded-data/create-tasks-async"


def test_a_missing_override_target_is_422_at_the_override_entry(http: httpx.Client) -> None:
    prompt = http.get("/api/prompts", params={"page_size": 1}).json()["items"][0]
    keep = {"nodeId": "plan", "fieldId": "itinerary", "promptId": prompt["id"]}
    cases = [
        (
            {"prompts": [keep, {"nodeId": "plan", "fieldId": "itinerary", "promptId": HUGE}]},
            ["body", "configOverrides", "prompts", 1, "promptId"],
        ),
        (
            {"prompts": [{**keep, "version": 999}]},
            ["body", "configOverrides", "prompts", 0, "version"],
        ),
        (
            {"evaluations": [{"nodeId": "review", "fieldId": "quality", "evaluationId": HUGE}]},
            ["body", "configOverrides", "evaluations", 0, "evaluationId"],
        ),
    ]
    for overrides, loc in cases:
        answer = http.post(TASKS_ASYNC, json={"count": 1, "configOverrides": overrides})
        assert answer.status_code == 422, answer.text
        assert [e["loc"] for e in answer.json()["detail"]] == [loc]
    experiment = http.post(
        "/api/projects/22/workflows/10/experiments",
        json={
            "count": 1,
            "variants": [
                {"name": "fine", "configOverrides": {}},
                {"name": "broken", "configOverrides": cases[0][0]},
            ],
        },
    )
    assert experiment.status_code == 422, experiment.text
    assert [e["loc"] for e in experiment.json()["detail"]] == [
        ["body", "variants", 1, "configOverrides", "prompts", 1, "promptId"]
    ]


def _evaluated_workflow(client: Any, criteria_names: list[str]) -> tuple[int, int]:
    criteria = [
        client.create_criterion(
            {
                "name": name,
                "display_label": name,
                "type": "programmatic",
                "config": {"subtype": "contains_keywords", "keywords": ["hi"], "mode": "any"},
                "output_schema": {"type": "boolean"},
            }
        )
        for name in criteria_names
    ]
    evaluation = client.create_evaluation(
        {"name": "review", "criteria": [{"criterion_id": c["id"]} for c in criteria]}
    )
    project = client.create_project({"name": "review"})
    definition = {
        "nodes": [
            {
                "id": "a",
                "fields": [
                    {"id": "x", "type": "llm", "prompt_text": "hi there", "model": "echo"},
                    {
                        "id": "q",
                        "type": "evaluation",
                        "evaluation_id": evaluation["id"],
                        "target": {"node_id": "a", "field_id": "x"},
                    },
                ],
            },
            {
                "id": "b",
                "fields": [{"id": "y", "type": "llm", "prompt_text": "{{x}}", "model": "echo"}],
            },
        ]
    }
    workflow = client.create_workflow(project["id"], {"name": "review", "definition": definition})
    return project["id"], workflow["id"]


def test_a_crashing_criterion_is_an_error_result_not_a_failed_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_pipelines.local._engine import runner as _runner

    real = _runner.evaluate_criterion

    def crashing(criterion: Any, *args: Any, **kwargs: Any) -> Any:
        if criterion.get("name") == "broken":
            raise KeyError("keywords")
        return real(criterion, *args, **kwargs)

    monkeypatch.setattr(_runner, "evaluate_criterion", crashing)
    with LocalPipelines() as local, local.client() as client:
        project_id, workflow_id = _evaluated_workflow(client, ["fine", "broken"])
        result = client.create_tasks(project_id, workflow_id, {"count": 1})
    assert result["status"] == "completed", result["error"]
    node_a = result["tasks"][0]["nodes"][0]
    outcomes = {r["criterion_name"]: r for r in node_a["evaluation_results"]}
    assert outcomes["fine"]["status"] == "completed"
    assert outcomes["fine"]["passed"] is True
    assert outcomes["broken"]["status"] == "error"
    assert outcomes["broken"]["error"] == _runner.CRITERION_CRASHED.format(
        name="broken", error_type="KeyError", error=KeyError("keywords")
    )


def test_an_internal_error_mid_task_leaves_no_node_running(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_pipelines.local._engine import llm

    real = llm.render

    def failing(template: str, values: Any) -> str:
        if template == "{{x}}":  # node b's prompt
            raise RuntimeError("engine bug")
        return real(template, values)

    monkeypatch.setattr(llm, "render", failing)
    with LocalPipelines() as local, local.client() as client:
        project_id, workflow_id = _evaluated_workflow(client, ["fine"])
        result = client.create_tasks(project_id, workflow_id, {"count": 1})
    assert result["status"] == "failed"
    task = result["tasks"][0]
    assert "RuntimeError: engine bug" in task["error"]
    statuses = {n["node_id"]: n["status"] for n in task["nodes"]}
    assert statuses == {"a": "completed", "b": "failed"}
    assert task["nodes"][1]["error"] == task["error"]

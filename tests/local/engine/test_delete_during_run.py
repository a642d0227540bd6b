"""Deleting a workflow while one of its tasks (or a node's generation) is running leaves no row
behind: the runner's late writes (tool calls, the next node, the node's result) find their owner
gone and stop, instead of writing records nobody owns."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from pytest_pipelines.client import NotFoundError, PipelinesClient
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._store.db import OWNER_GONE, Database, OwnerGone
from pytest_pipelines.local.models import ModelRequest, ModelResponse, ToolCall

from .test_tool_endpoints import mock_endpoint

#: every kind of record a workflow's runs write, each carrying ``workflow_id``
RUN_KINDS = ("job", "task", "node", "tool_call", "generation", "work", "tool_binding")


class Blocked(NamedTuple):
    """The blocking model and the workflow that calls it."""

    blocker: Blocker
    project_id: int
    workflow_id: int


class Blocker:
    """A model that, while ``blocking``, waits for ``release`` before asking for a tool."""

    def __init__(self) -> None:
        self.blocking = False
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: ModelRequest) -> ModelResponse | str:
        if request.tool_results():
            return "done: " + request.tool_results()[0].content
        if self.blocking:
            self.started.set()
            assert self.release.wait(30), "the test never released the model"
        return ModelResponse(tool_calls=(ToolCall("lookup", {"city": "Rome"}),))


@pytest.fixture
def blocked(
    local_backend: LocalPipelines, client: PipelinesClient, unique: Callable[[str], str]
) -> Iterator[Blocked]:
    """A workflow whose first node calls a bound mock tool through a blocking model."""
    blocker = Blocker()
    slug = unique("blocker").replace(" ", "-")
    local_backend.registry.register(slug, blocker)
    project = client.create_project({"name": unique("delete-during-run")})
    llm = {"type": "llm", "prompt_text": "Tell me about Rome"}
    wf = client.create_workflow(
        project["id"],
        {
            "name": unique("wf"),
            "definition": {
                "nodes": [
                    {"id": "agent", "fields": [{**llm, "id": "answer", "model": slug}]},
                    {"id": "after", "fields": [{**llm, "id": "echoed", "model": "echo"}]},
                ]
            },
        },
    )
    endpoint = client.create_tool_endpoint(org_id=2, payload=mock_endpoint(unique("mock")))
    client.create_tool_binding(
        workflow_id=wf["id"],
        payload={"node_id": "agent", "field_id": "answer", "endpoint_id": endpoint["id"]},
    )
    yield Blocked(blocker, project["id"], wf["id"])
    blocker.release.set()  # never leave a worker thread waiting
    local_backend.registry.unregister(slug)


def rows_of(local: LocalPipelines, workflow_id: int) -> dict[str, int]:
    assert local.state is not None
    return {k: local.state.db.count(k, where={"workflow_id": workflow_id}) for k in RUN_KINDS}


def test_deleting_a_workflow_during_a_task_run_leaves_nothing(
    local_backend: LocalPipelines,
    client: PipelinesClient,
    blocked: Blocked,
) -> None:
    blocker, project_id, wf_id = blocked
    blocker.blocking = True
    client.create_tasks_async(project_id, wf_id, {"count": 2})
    assert blocker.started.wait(30), "the task never reached its model"
    assert rows_of(local_backend, wf_id)["node"] >= 1  # the run is under way
    client.delete_workflow(project_id, wf_id)
    assert sum(rows_of(local_backend, wf_id).values()) == 0
    blocker.release.set()
    assert local_backend.state is not None
    local_backend.state.engine.wait_idle(30)
    assert rows_of(local_backend, wf_id) == dict.fromkeys(RUN_KINDS, 0)


def test_deleting_a_workflow_during_a_generation_leaves_nothing(
    local_backend: LocalPipelines,
    client: PipelinesClient,
    blocked: Blocked,
) -> None:
    blocker, project_id, wf_id = blocked
    task_id = client.create_tasks(project_id, wf_id, {"count": 1})["task_ids"][0]
    detail = client.get_task(project_id, wf_id, task_id)
    assert detail["status"] == "completed", detail
    agent = next(n for n in detail["nodes"] if n["node_id"] == "agent")
    blocker.blocking = True
    answer: list[BaseException | dict[str, Any]] = []

    def regenerate() -> None:
        with local_backend.client() as own:
            try:
                answer.append(own.regenerate_llm(project_id, wf_id, agent["id"]))
            except BaseException as exc:  # the main thread asserts on it
                answer.append(exc)

    thread = threading.Thread(target=regenerate)
    thread.start()
    try:
        assert blocker.started.wait(30), "the generation never reached its model"
        client.delete_workflow(project_id, wf_id)
    finally:
        blocker.release.set()
        thread.join(30)
    [outcome] = answer
    # the node went with its workflow: the generation ends as a 404 on it, not a 500
    assert isinstance(outcome, NotFoundError), outcome
    assert rows_of(local_backend, wf_id) == dict.fromkeys(RUN_KINDS, 0)


def test_an_owned_insert_needs_its_owner(tmp_path: Path) -> None:
    db = Database(tmp_path / "owned.db")
    try:
        task = db.insert("task", {"status": "running"})
        node = db.insert("node", {"n": 1}, parent_id=task["id"], parent_kind="task")
        assert db.count("node", parent_id=task["id"]) == 1
        db.delete_tree("task", task["id"], {"task": ("node",)})
        for parent_id in (task["id"], node["id"]):  # gone, and a record of another kind
            with pytest.raises(OwnerGone) as gone:
                db.insert("node", {"n": 2}, parent_id=parent_id, parent_kind="task")
            assert str(gone.value) == OWNER_GONE.format(owner="task", id=parent_id, kind="node")
        assert db.count("node") == 0
    finally:
        db.close()

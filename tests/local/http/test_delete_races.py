"""A route that creates a record under a project, a workflow or a file, racing the delete of that
owner, answers 404 and leaves no row whose owner is gone.

The race is made deterministic: the owner is deleted (as its DELETE route does, with
``ownership``) at the worst moment, right before the route's insert, or right after the route
read the owner when the insert runs inside a transaction of the route's own (a delete inside it
would be rolled back with it). Before the owned inserts named their owner's kind, each of these
requests stored a row nobody owns (or, for an upload, answered 500).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_pipelines.client import NotFoundError, PipelinesClient
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._engine import ownership
from pytest_pipelines.local._store.db import OWNER_GONE, Database

from .._helpers import ORG
from ..engine.test_tool_endpoints import mock_endpoint

LLM = {"id": "answer", "type": "llm", "prompt_text": "Tell me about Rome", "model": "echo"}


class Race:
    """Delete an owner once, when the route reaches a chosen call on the database."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, backend: LocalPipelines) -> None:
        assert backend.state is not None
        self.state = backend.state
        self.db: Database = backend.state.db
        self.monkeypatch = monkeypatch
        self.fired = False

    def delete(self, kind: str, id: int) -> None:
        self.fired = True
        if kind == "project":
            ownership.delete_project(self.state, id)
        else:
            ownership.delete_workflow(self.state, id)

    def before_insert(self, child: str, parent_id: int, owner: tuple[str, int]) -> None:
        """Delete ``owner`` just before the insert of a ``child`` under ``parent_id``."""
        real = self.db.insert

        def insert(kind: str, data: Any, **options: Any) -> dict[str, Any]:
            if kind == child and options.get("parent_id") == parent_id and not self.fired:
                self.delete(*owner)
            return real(kind, data, **options)

        self.monkeypatch.setattr(self.db, "insert", insert)

    def after_insert(self, child: str, parent_id: int, owner: tuple[str, int]) -> None:
        """Delete ``owner`` just after a ``child`` under ``parent_id`` was stored."""
        real = self.db.insert

        def insert(kind: str, data: Any, **options: Any) -> dict[str, Any]:
            record = real(kind, data, **options)
            if kind == child and options.get("parent_id") == parent_id and not self.fired:
                self.delete(*owner)
            return record

        self.monkeypatch.setattr(self.db, "insert", insert)

    def after_get(self, kind: str, id: int, owner: tuple[str, int]) -> None:
        """Delete ``owner`` just after the route read the record ``kind`` ``id``."""
        real = self.db.get

        def get(read_kind: str, read_id: int) -> dict[str, Any] | None:
            record = real(read_kind, read_id)
            if (read_kind, read_id) == (kind, id) and not self.fired:
                self.delete(*owner)
            return record

        self.monkeypatch.setattr(self.db, "get", get)

    def orphans(self, kind: str, parent_id: int) -> list[dict[str, Any]]:
        return self.db.query(kind, parent_id=parent_id)


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch, local_backend: LocalPipelines) -> Race:
    """The owner-deleting hook on the shared backend's database (undone at teardown)."""
    return Race(monkeypatch, local_backend)


@pytest.fixture
def project(client: PipelinesClient, unique: Callable[[str], str]) -> int:
    """A new project of the test's own."""
    return int(client.create_project({"name": unique("race")})["id"])


@pytest.fixture
def workflow(client: PipelinesClient, unique: Callable[[str], str], project: int) -> int:
    """A new workflow with one LLM field in the test's project."""
    definition = {"nodes": [{"id": "plan", "fields": [LLM]}]}
    created = client.create_workflow(project, {"name": unique("wf"), "definition": definition})
    return int(created["id"])


def gone(owner: str, id: int, kind: str) -> str:
    return OWNER_GONE.format(owner=owner, id=id, kind=kind)


@pytest.mark.parametrize(
    ("kind", "create"),
    [
        ("workflow", lambda c, project, wf: c.create_workflow(project, {"name": "late"})),
        (
            "workflow_chain",
            lambda c, project, wf: c.create_workflow_chain(
                project, {"name": "late", "workflow_ids": [wf]}
            ),
        ),
        (
            "instruction",
            lambda c, project, wf: c.create_project_instruction(project, {"title": "Be brief"}),
        ),
        (
            "project_file",
            lambda c, project, wf: c.request_project_file_upload_url(
                project, {"filename": "a.txt"}
            ),
        ),
    ],
    ids=["workflow", "chain", "instruction", "file"],
)
def test_records_created_while_their_project_is_deleted(
    client: PipelinesClient,
    race: Race,
    project: int,
    workflow: int,
    kind: str,
    create: Callable[[PipelinesClient, int, int], Any],
) -> None:
    race.before_insert(kind, project, ("project", project))
    with pytest.raises(NotFoundError) as info:
        create(client, project, workflow)
    assert race.fired
    assert info.value.message == gone("project", project, kind)
    assert race.orphans(kind, project) == []


def test_bytes_uploaded_while_the_files_project_is_deleted(
    client: PipelinesClient, race: Race, project: int
) -> None:
    ticket = client.request_project_file_upload_url(project, {"filename": "a.txt"})
    file_id = int(ticket["file_id"])
    # the upload reads its file, then writes the bytes in a transaction of its own
    race.after_get("project_file", file_id, ("project", project))
    answer = httpx.put(ticket["upload_url"], content=b"hello", headers=ticket["headers"])
    assert race.fired
    assert answer.status_code == 404, answer.text
    assert answer.json()["detail"] == gone("project_file", file_id, "file_blob")
    assert race.orphans("file_blob", file_id) == []


@pytest.mark.parametrize(
    ("kind", "create"),
    [
        (
            "tool_binding",
            lambda c, wf, endpoint: c.create_tool_binding(
                wf, {"node_id": "plan", "field_id": "answer", "endpoint_id": endpoint}
            ),
        ),
        (
            "tool_ground_truth",
            lambda c, wf, endpoint: c.create_tool_ground_truth(
                wf, {"node_id": "plan", "field_id": "answer", "expected_tools": [{"name": "x"}]}
            ),
        ),
    ],
    ids=["binding", "ground-truth"],
)
def test_tool_records_created_while_their_workflow_is_deleted(
    client: PipelinesClient,
    race: Race,
    workflow: int,
    unique: Callable[[str], str],
    kind: str,
    create: Callable[[PipelinesClient, int, int], Any],
) -> None:
    endpoint = client.create_tool_endpoint(org_id=ORG, payload=mock_endpoint(unique("mock")))
    race.before_insert(kind, workflow, ("workflow", workflow))
    with pytest.raises(NotFoundError) as info:
        create(client, workflow, int(endpoint["id"]))
    assert race.fired
    assert info.value.message == gone("workflow", workflow, kind)
    assert race.orphans(kind, workflow) == []
    # the endpoint counts no binding of a deleted workflow
    assert client.get_tool_endpoint_binding_count(ORG, endpoint["id"])["count"] == 0


def test_a_tag_created_while_its_workflow_is_deleted(
    client: PipelinesClient, race: Race, project: int, workflow: int
) -> None:
    race.before_insert("workflow_tag", workflow, ("workflow", workflow))
    with pytest.raises(NotFoundError) as info:
        client.create_workflow_tag(project, workflow, {"name": "late"})
    assert race.fired
    assert info.value.message == gone("workflow", workflow, "workflow_tag")
    assert race.orphans("workflow_tag", workflow) == []


@pytest.mark.parametrize(
    "when",
    [
        # the experiment is inserted in a transaction of the route's own: the workflow goes
        # between the route's read of it and that transaction
        lambda race, wf: race.after_get("workflow", wf, ("workflow", wf)),
        # the experiment row is stored, then the workflow (and with it the experiment) goes
        # before the variants' copies of the workflow are made
        lambda race, wf: race.after_insert("experiment", wf, ("workflow", wf)),
    ],
    ids=["before-the-experiment", "before-its-copies"],
)
def test_an_experiment_created_while_its_workflow_is_deleted(
    client: PipelinesClient,
    race: Race,
    project: int,
    workflow: int,
    when: Callable[[Race, int], None],
) -> None:
    when(race, workflow)
    with pytest.raises(NotFoundError) as info:
        client.create_experiment(
            project, workflow, {"count": 1, "variants": [{"name": "a"}, {"name": "b"}]}
        )
    assert race.fired
    assert info.value.message == gone("workflow", workflow, "experiment")
    assert race.orphans("experiment", workflow) == []
    assert race.db.query("workflow", where={"source_workflow_id": workflow}) == []

"""Fixtures of the local backend's tests (the shared ones live in tests/conftest.py): keys,
people with roles, and a workflow with human work.

Every test creates its own objects (unique names) on the shared session backend.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from ._helpers import ORG, PROJECT, HumanRun, Person, human_definition

if TYPE_CHECKING:
    from pytest_pipelines.client import PipelinesClient
    from pytest_pipelines.local import LocalPipelines


@pytest.fixture
def unique_key(unique: Callable[[str], str]) -> Callable[[str], str]:
    """Like ``unique``, but a valid Idempotency-Key (visible ASCII letters, digits, ``-_.:``)."""

    def make(prefix: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.:-]+", "-", unique(prefix)).strip("-")

    return make


@pytest.fixture(scope="session")
def people(local_backend: LocalPipelines) -> dict[str, Person]:
    """A contributor, a second contributor, a reviewer and a viewer of org 2, with keys."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out: dict[str, Person] = {}
    for name, role in (
        ("contributor", "contributor"),
        ("contributor2", "contributor"),
        ("reviewer", "reviewer"),
        ("viewer", "viewer"),
    ):
        created = local_backend.seed(
            {
                "users": [
                    {
                        "email": f"{name}-{worker}@pipelines.local",
                        "name": name,
                        "org_id": ORG,
                        "role": role,
                    }
                ]
            }
        )
        user_id = created["created"]["users"][0]
        key = f"pk_local_test_{name}_{worker}"
        local_backend.seed(
            {
                "api_keys": [
                    {"key": key, "name": name, "org_id": ORG, "user_id": user_id, "scopes": ["*"]}
                ]
            }
        )
        out[name] = Person(user_id, key, role)
    return out


@pytest.fixture
def as_person(local_backend: LocalPipelines) -> Any:
    """Open a sync client with a person's key (closed at teardown)."""
    opened: list[PipelinesClient] = []

    def make(person: Person) -> PipelinesClient:
        client = local_backend.client(api_key=person.key)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def human_run(client: PipelinesClient, unique: Callable[[str], str]) -> Callable[..., HumanRun]:
    """Create a workflow with a human node (and optionally a human rating) and run one task."""

    def make(*, rating: bool = True, review: bool = True) -> HumanRun:
        criterion_id = evaluation_id = None
        if rating:
            criterion = client.create_criterion(
                {
                    "name": unique("human rating"),
                    "display_label": "Rate",
                    "type": "human_rating",
                    "config": {"rubric": "1 poor, 5 great", "threshold": 3},
                    "output_schema": {"type": "rating", "range": [1, 5]},
                }
            )
            criterion_id = criterion["id"]
            evaluation_id = client.create_evaluation(
                {
                    "name": unique("human eval"),
                    "criteria": [{"criterion_id": criterion_id}],
                }
            )["id"]
        workflow = client.create_workflow(
            PROJECT,
            {
                "name": unique("human wf"),
                "definition": human_definition(evaluation_id, review=review),
            },
        )
        job = client.create_tasks_async(
            PROJECT, workflow["id"], {"count": 1, "inputs": [{"city": "Rome"}]}
        )
        status = client.wait_for_create_tasks(PROJECT, workflow["id"], job["job_id"], timeout=30)
        assert status["status"] == "completed", status
        task_id = status["task_ids"][0]
        task = client.get_task(PROJECT, workflow["id"], task_id)
        nodes = {n["node_id"]: n["id"] for n in task["nodes"]}
        return HumanRun(workflow["id"], task_id, nodes, criterion_id)

    return make

"""Workflow chains, tags, instructions, select options, templates, notifications (with the NDJSON
and SSE streams read by request_stream / stream_lines), organizations and users."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from pytest_pipelines.client import (
    AsyncPipelinesClient,
    ForbiddenError,
    NotFoundError,
    PipelinesClient,
    ValidationError,
)
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._engine.errors import OTHER_ORG

from .._helpers import ORG, PROJECT, HumanRun, Person


def _notified(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> tuple[PipelinesClient, int]:
    """Give the contributor one new notification (a rejected submission); return its client."""
    run: HumanRun = human_run(rating=False)
    contributor = as_person(people["contributor"])
    contributor.submit_subtask(
        PROJECT, run.workflow_id, run.nodes["label"], payload={"output": {"verdict": "v"}}
    )
    client.submit_review(
        PROJECT, run.workflow_id, run.nodes["label"], payload={"approved": False, "comment": "redo"}
    )
    return contributor, run.nodes["label"]


def test_workflow_chains(client: PipelinesClient, unique: Any) -> None:
    first = client.create_workflow(PROJECT, {"name": unique("a")})
    second = client.create_workflow(PROJECT, {"name": unique("b")})
    chain = client.create_workflow_chain(
        PROJECT, {"name": unique("chain"), "workflow_ids": [first["id"], second["id"]]}
    )
    got = client.get_workflow_chain(PROJECT, chain["id"])
    assert [s["workflow_id"] for s in got["steps"]] == [first["id"], second["id"]]
    assert chain["id"] in [c["id"] for c in client.iter_workflow_chains(PROJECT)]
    assert chain["id"] in [
        c["id"] for c in client.list_workflow_chains(PROJECT, page_size=1000)["items"]
    ]
    with pytest.raises(ValidationError):
        client.create_workflow_chain(PROJECT, {"name": "x", "workflow_ids": [999999]})
    client.delete_workflow_chain(PROJECT, chain["id"])
    with pytest.raises(NotFoundError):
        client.get_workflow_chain(PROJECT, chain["id"])


def test_tags_instructions_select_options_templates(
    client: PipelinesClient, human_run: Any, unique: Any
) -> None:
    run: HumanRun = human_run(rating=False)
    tag = client.create_workflow_tag(
        PROJECT, run.workflow_id, {"name": "gold", "color": "#fc0", "task_ids": [run.task_id]}
    )
    assert [t["name"] for t in client.list_workflow_tags(PROJECT, run.workflow_id)["items"]] == [
        "gold"
    ]
    assert [
        t["id"] for t in client.list_task_tags(PROJECT, run.workflow_id, run.task_id)["items"]
    ] == [tag["id"]]
    with pytest.raises(ValidationError):
        client.create_workflow_tag(PROJECT, run.workflow_id, {"name": "x", "task_ids": [-1]})
    client.delete_workflow_tag(PROJECT, run.workflow_id, tag["id"])
    assert client.list_task_tags(PROJECT, run.workflow_id, run.task_id)["items"] == []

    project = client.request("POST", "/api/projects", json={"name": unique("instr project")})
    one = client.create_project_instruction(project["id"], {"title": "Be kind", "content": "..."})
    two = client.create_project_instruction(project["id"], {"title": "Be brief"})
    client.update_project_instruction(project["id"], one["id"], {"order": 5})
    assert [i["id"] for i in client.iter_project_instructions(project["id"])] == [
        two["id"],
        one["id"],
    ]
    client.delete_project_instruction(project["id"], two["id"])
    assert client.list_project_instructions(project["id"])["total"] == 1

    assert {
        "value": ORG,
        "label": "Demo organization",
    } in client.list_organization_select_options()["items"]
    assert PROJECT in [
        o["value"] for o in client.list_project_select_options(page_size=1000)["items"]
    ]
    assert [r["value"] for r in client.list_role_select_options()["items"]] == [
        "admin",
        "reviewer",
        "contributor",
        "viewer",
    ]

    templates = list(client.iter_org_workflow_templates(ORG))
    assert [t["name"] for t in templates] == ["Single LLM field", "Human labeling with review"]
    template = client.get_org_workflow_template(ORG, templates[1]["id"])
    created = client.create_workflow(
        PROJECT, {"name": unique("from template"), "definition": template["definition"]}
    )
    assert created["definition"]["nodes"][1]["human"]["review"] is True
    with pytest.raises(ForbiddenError):
        client.list_org_workflow_templates(ORG + 1)


def test_notifications_list_count_mark_read(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    contributor, node = _notified(client, human_run, people, as_person)
    count = contributor.get_unread_notification_count()["count"]
    assert count >= 1
    newest = contributor.list_notifications(page_size=1, unread=True)["items"][0]
    assert newest["title"] == f"Your submission on node {node} was rejected"
    assert contributor.get_notification(newest["id"])["body"] == "redo"
    with pytest.raises(NotFoundError):
        client.get_notification(newest["id"])  # another user's notification
    marked = contributor.mark_notifications_read(notification_ids=[newest["id"]])
    assert (marked["updated"], marked["unread"]) == (1, count - 1)
    assert contributor.get_notification(newest["id"])["read"] is True
    contributor.mark_notifications_read(all=True)
    assert contributor.get_unread_notification_count()["count"] == 0
    assert all(n["read"] for n in contributor.iter_notifications(page_size=3))


def test_notification_streams(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    contributor, node = _notified(client, human_run, people, as_person)
    lines = [
        json.loads(line)
        for line in contributor.stream_lines(
            "GET", "/api/notifications", params={"stream": "ndjson"}
        )
        if line
    ]
    assert lines[-1]["title"] == f"Your submission on node {node} was rejected"
    since = lines[-1]["id"] - 1
    chunks = b"".join(
        contributor.request_stream(
            "GET",
            "/api/notifications",
            params={"since_id": since},
            headers={"Accept": "text/event-stream"},
        )
    )
    text = chunks.decode()
    assert text.startswith(f"id: {lines[-1]['id']}\nevent: notification\ndata: ")
    assert json.loads(text.split("data: ", 1)[1].split("\n", 1)[0])["id"] == lines[-1]["id"]
    with pytest.raises(ValidationError):
        list(contributor.stream_lines("GET", "/api/notifications", params={"stream": "xml"}))


def test_organizations_and_users(
    client: PipelinesClient, people: dict[str, Person], local_backend: LocalPipelines
) -> None:
    assert [o["id"] for o in client.iter_organizations()] == [ORG]
    org = client.get_organization(ORG)
    assert org["name"] == "Demo organization"
    with pytest.raises(ForbiddenError) as other:
        client.get_organization(ORG + 1)
    assert str(other.value).endswith(OTHER_ORG.format(own=ORG, other=ORG + 1))
    emails = [u["email"] for u in client.iter_org_users(ORG, page_size=2)]
    assert "demo@pipelines.local" in emails
    assert f"contributor-{people['contributor'].key.rsplit('_', 1)[1]}@pipelines.local" in emails
    assert emails == [u["email"] for u in client.iter_users(page_size=2)]
    user = client.get_user(people["reviewer"].user_id)
    assert (user["role"], user["org_id"]) == ("reviewer", ORG)
    with pytest.raises(NotFoundError):
        client.get_user(999999)
    assert client.whoami()["email"] == "demo@pipelines.local"


@pytest.mark.anyio
async def test_misc_notifications_orgs_async(
    async_client: AsyncPipelinesClient,
    local_backend: LocalPipelines,
    client: PipelinesClient,
    human_run: Any,
    people: dict[str, Person],
    as_person: Any,
    unique: Any,
) -> None:
    workflow = await async_client.create_workflow(PROJECT, {"name": unique("w")})
    chain = await async_client.create_workflow_chain(
        PROJECT, {"name": unique("c"), "workflow_ids": [workflow["id"]]}
    )
    assert (await async_client.get_workflow_chain(PROJECT, chain["id"]))["steps"][0][
        "exists"
    ] is True
    assert chain["id"] in [c["id"] async for c in async_client.iter_workflow_chains(PROJECT)]
    await async_client.delete_workflow_chain(PROJECT, chain["id"])
    assert len([t async for t in async_client.iter_org_workflow_templates(ORG)]) == 2
    assert [o["id"] async for o in async_client.iter_organizations()] == [ORG]
    assert (await async_client.get_organization(ORG))["id"] == ORG
    users = [u["id"] async for u in async_client.iter_org_users(ORG)]
    assert people["viewer"].user_id in users
    assert users == [u["id"] async for u in async_client.iter_users()]
    assert (await async_client.get_user(people["viewer"].user_id))["role"] == "viewer"

    _notified(client, human_run, people, as_person)
    async with local_backend.async_client(api_key=people["contributor"].key) as contributor:
        assert (await contributor.get_unread_notification_count())["count"] >= 1
        items = [n async for n in contributor.iter_notifications()]
        streamed = [
            json.loads(line)
            async for line in contributor.stream_lines(
                "GET", "/api/notifications", headers={"Accept": "application/x-ndjson"}
            )
            if line
        ]
        assert sorted(n["id"] for n in streamed) == sorted(n["id"] for n in items)
        raw = b"".join(
            [
                c
                async for c in contributor.request_stream(
                    "GET", "/api/notifications", params={"stream": "sse"}
                )
            ]
        )
        assert raw.count(b"event: notification") == len(items)
        await contributor.mark_notifications_read(all=True)
        assert (await contributor.get_unread_notification_count())["count"] == 0


def test_followed_stream_delivers_new_notifications(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    run: HumanRun = human_run(rating=False)
    label = run.nodes["label"]
    contributor = as_person(people["contributor"])
    contributor.submit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "v"}}
    )
    existing = contributor.list_notifications(page_size=1)["items"]
    since = existing[0]["id"] if existing else 0

    def review_soon() -> None:
        time.sleep(0.3)
        client.submit_review(PROJECT, run.workflow_id, label, payload={"approved": True})

    reviewer = threading.Thread(target=review_soon)
    reviewer.start()
    started = time.monotonic()
    received = []
    for line in contributor.stream_lines(
        "GET", "/api/notifications", params={"stream": "ndjson", "since_id": since, "follow": 10}
    ):
        if line:
            received.append(json.loads(line))
            break
    reviewer.join()
    assert received[0]["title"] == f"Your submission on node {label} was approved"
    assert time.monotonic() - started < 8  # delivered as it arrived, not at the end of follow


def test_org_credentials_are_never_echoed(
    client: PipelinesClient, people: dict[str, Person], as_person: Any
) -> None:
    secret = "sk-local-very-secret-value"
    answer = client.set_org_credential(ORG, "openai", {"api_key": secret})
    assert answer["configured"] is True
    assert list(answer["fields"]) == ["api_key"]
    assert answer["fields"]["api_key"].startswith("sha256:")
    assert secret not in json.dumps(answer)
    again = client.set_org_credential(ORG, "openai", {"api_key": secret})
    assert again["fields"] == answer["fields"]  # same value, same fingerprint
    with pytest.raises(ValidationError):
        client.set_org_credential(ORG, "openai", {"api_key": 5})
    with pytest.raises(ForbiddenError):
        as_person(people["contributor"]).set_org_credential(ORG, "openai", {"api_key": "x"})
    with pytest.raises(ForbiddenError):
        client.set_org_credential(ORG + 1, "openai", {"api_key": "x"})

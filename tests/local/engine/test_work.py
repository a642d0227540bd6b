"""The human tasks runtime against the running local backend: queues, submit, review, release,
revert, admin overrides, permissions, and human ratings completing evaluation results."""

from __future__ import annotations

from typing import Any

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
from pytest_pipelines.local._engine.work import (
    MISSING_FIELDS,
    NOT_HUMAN,
    OWN_SUBMISSION,
    RATINGS_NEEDED,
)

from .._helpers import ORG, PROJECT, HumanRun, Person


def _node_ids(page: dict[str, Any]) -> list[int]:
    return [item["node_db_id"] for item in page["items"]]


def test_contributor_submits_reviewer_rejects_then_approves(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    run: HumanRun = human_run(rating=False)
    label = run.nodes["label"]
    contributor = as_person(people["contributor"])
    reviewer = as_person(people["reviewer"])

    assert label in _node_ids(contributor.get_my_work(PROJECT, page_size=1000))
    assert label in [w["node_db_id"] for w in contributor.iter_my_work(PROJECT, page_size=2)]
    subtask = contributor.get_subtask_node(PROJECT, run.workflow_id, label)
    assert subtask["human"]["human_fields"] == [{"id": "verdict", "title": "Verdict"}]
    assert subtask["human"]["status"] == "open"

    submitted = contributor.submit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "good"}}
    )
    assert submitted["status"] == "in_review"
    assert submitted["assignee_user_id"] == people["contributor"].user_id
    assert label not in _node_ids(contributor.get_my_work(PROJECT, page_size=1000))
    assert label in _node_ids(contributor.get_my_submissions(PROJECT, page_size=1000))
    assert label in [s["node_db_id"] for s in contributor.iter_my_submissions(PROJECT)]
    assert label in _node_ids(reviewer.get_my_work(PROJECT, page_size=1000))

    rejected = reviewer.submit_review(
        PROJECT, run.workflow_id, label, payload={"approved": False, "comment": "be specific"}
    )
    assert rejected["status"] == "open"  # back to the contributor's queue
    assert rejected["assignee_user_id"] == people["contributor"].user_id
    assert label in _node_ids(contributor.get_my_work(PROJECT, page_size=1000))

    again = contributor.submit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "very good"}}
    )
    assert again["attempt_count"] == 2
    approved = reviewer.submit_review(PROJECT, run.workflow_id, label, payload={"approved": True})
    assert approved["status"] == "completed"
    task = client.get_task(PROJECT, run.workflow_id, run.task_id)
    outputs = next(n["outputs"] for n in task["nodes"] if n["id"] == label)
    assert outputs["verdict"] == "very good"

    history = client.get_node_history(PROJECT, run.workflow_id, label)
    assert [a["output"]["verdict"] for a in history["attempts"]] == ["good", "very good"]
    assert [r["approved"] for r in history["reviews"]] == [False, True]
    # the contributor was told about both reviews
    titles = [n["title"] for n in contributor.iter_notifications()]
    assert any(f"node {label} was rejected" in t for t in titles)
    assert any(f"node {label} was approved" in t for t in titles)


def test_human_rating_completes_pending_evaluation_result(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    run: HumanRun = human_run(rating=True)
    rate = run.nodes["rate"]
    before = client.get_task(PROJECT, run.workflow_id, run.task_id)
    result = next(n for n in before["nodes"] if n["id"] == rate)["evaluation_results"][0]
    assert result["status"] == "pending"
    reviewer = as_person(people["reviewer"])
    assert rate in _node_ids(reviewer.get_my_work(PROJECT, page_size=1000))
    with pytest.raises(ValidationError) as missing:
        reviewer.submit_review(PROJECT, run.workflow_id, rate, payload={"approved": True})
    assert RATINGS_NEEDED.split(":")[0] in str(missing.value)
    with pytest.raises(ValidationError):
        reviewer.submit_review(
            PROJECT,
            run.workflow_id,
            rate,
            payload={"approved": True, "ratings": {str(run.criterion_id): 9}},
        )
    done = reviewer.submit_review(
        PROJECT,
        run.workflow_id,
        rate,
        payload={"approved": True, "ratings": {str(run.criterion_id): 4}},
    )
    assert done["status"] == "completed"
    after = client.get_task(PROJECT, run.workflow_id, run.task_id)
    result = next(n for n in after["nodes"] if n["id"] == rate)["evaluation_results"][0]
    assert (result["status"], result["value"], result["passed"]) == ("completed", 4, True)


def test_release_revert_and_submission_views(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    run: HumanRun = human_run(rating=False, review=False)
    label = run.nodes["label"]
    contributor = as_person(people["contributor"])
    other = as_person(people["contributor2"])
    client.admin_edit_subtask(
        PROJECT, run.workflow_id, label, payload={"assignee_user_id": people["contributor"].user_id}
    )
    assert label not in _node_ids(other.get_my_work(PROJECT, page_size=1000))
    with pytest.raises(ForbiddenError):
        other.submit_subtask(PROJECT, run.workflow_id, label, payload={"output": {"verdict": "x"}})
    released = contributor.release_node(PROJECT, run.workflow_id, label)
    assert released["assignee_user_id"] is None
    assert label in _node_ids(other.get_my_work(PROJECT, page_size=1000))

    with pytest.raises(ValidationError) as bad:
        contributor.submit_subtask(PROJECT, run.workflow_id, label, payload={"output": {}})
    assert MISSING_FIELDS.split(":")[0] in str(bad.value)
    first = contributor.submit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "first"}}
    )
    assert first["status"] == "completed"  # review: false
    with pytest.raises(ConflictError):
        contributor.release_node(PROJECT, run.workflow_id, label)
    reverted = contributor.revert_node(PROJECT, run.workflow_id, label, 1)
    assert reverted["attempts"][-1]["reverted_from"] == 1
    with pytest.raises(NotFoundError):
        contributor.revert_node(PROJECT, run.workflow_id, label, 99)

    view = contributor.get_subtask_node_view(PROJECT, run.workflow_id, label)
    assert view["read_only"] is True
    submission = client.get_submission_view(PROJECT, label)
    assert submission["submission"]["output"] == {"verdict": "first"}
    linked = client.get_node_with_linked(PROJECT, run.workflow_id, label)
    assert linked["previous"]["id"] == run.nodes["plan"]
    refreshed = client.refresh_prev_node_info(PROJECT, run.workflow_id, label)
    assert refreshed["prev_node_info"]["outputs"]["city"] == "Rome"


def test_admin_overrides(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    run: HumanRun = human_run(rating=True)
    label, rate, plan = run.nodes["label"], run.nodes["rate"], run.nodes["plan"]
    contributor = as_person(people["contributor"])

    edited = client.admin_edit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "draft"}}
    )
    assert edited["status"] == "open"
    submitted = client.admin_submit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "admin"}}
    )
    assert submitted["attempts"][-1]["source"] == "admin"
    # the admin submitted it, so the admin cannot review it through the normal route ...
    with pytest.raises(ForbiddenError) as own:
        client.submit_review(PROJECT, run.workflow_id, label, payload={"approved": True})
    assert OWN_SUBMISSION.format(user=1) in str(own.value)
    # ... but the admin override can
    reviewed = client.admin_submit_review(
        PROJECT, run.workflow_id, label, payload={"approved": True, "comment": "ok"}
    )
    assert reviewed["status"] == "completed"
    changed = client.admin_edit_review(PROJECT, run.workflow_id, label, payload={"comment": "fine"})
    assert changed["reviews"][-1]["comment"] == "fine"
    # inline edit works on any node, human or not
    inline = client.admin_inline_edit(
        PROJECT, run.workflow_id, plan, payload={"field_id": "itinerary", "value": "edited"}
    )
    assert inline["outputs"]["itinerary"] == "edited"
    # rating through admin-submit-review, then edit the rating
    client.admin_submit_review(
        PROJECT,
        run.workflow_id,
        rate,
        payload={"approved": True, "ratings": {str(run.criterion_id): 2}},
    )
    client.admin_edit_review(
        PROJECT, run.workflow_id, rate, payload={"ratings": {str(run.criterion_id): 5}}
    )
    review = client.get_review_node(PROJECT, run.workflow_id, rate)
    assert review["evaluation_results"][0]["value"] == 5
    assert review["evaluation_results"][0]["passed"] is True
    assert client.get_review_node_view(PROJECT, run.workflow_id, rate)["read_only"] is True
    # admin routes are for admins only
    for call in (
        contributor.admin_edit_subtask,
        contributor.admin_submit_subtask,
        contributor.admin_edit_review,
        contributor.admin_inline_edit,
        contributor.admin_submit_review,
    ):
        with pytest.raises(ForbiddenError):
            call(PROJECT, run.workflow_id, label, payload={"output": {"verdict": "x"}})


def test_permissions_and_queues(
    client: PipelinesClient, human_run: Any, people: dict[str, Person], as_person: Any
) -> None:
    run: HumanRun = human_run(rating=False)
    label, plan = run.nodes["label"], run.nodes["plan"]
    viewer = as_person(people["viewer"])
    contributor = as_person(people["contributor"])
    with pytest.raises(ForbiddenError) as denied:
        viewer.get_my_work(PROJECT)
    assert "role 'viewer'" in str(denied.value)
    with pytest.raises(ForbiddenError):
        viewer.submit_subtask(PROJECT, run.workflow_id, label, payload={"output": {"verdict": "x"}})
    with pytest.raises(ForbiddenError):
        contributor.submit_review(PROJECT, run.workflow_id, label, payload={"approved": True})
    with pytest.raises(ForbiddenError):
        contributor.get_my_work(PROJECT, user_id=people["contributor2"].user_id)
    # an org admin drives everyone's queue
    theirs = client.get_my_work(PROJECT, user_id=people["contributor2"].user_id, page_size=1000)
    assert label in _node_ids(theirs)
    with pytest.raises(ConflictError) as not_human:
        client.get_subtask_node(PROJECT, run.workflow_id, plan)
    assert NOT_HUMAN.split(":")[0].format(id=plan, node_id="plan") in str(not_human.value)
    # org-wide and global queues
    assert label in _node_ids(contributor.get_org_my_work(ORG, page_size=1000))
    assert label in _node_ids(contributor.get_global_my_work(page_size=1000))
    assert label in [w["node_db_id"] for w in contributor.iter_org_my_work(ORG)]
    assert label in [w["node_db_id"] for w in contributor.iter_global_my_work()]
    contributor.submit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "v"}}
    )
    assert label in _node_ids(contributor.get_org_my_submissions(ORG, page_size=1000))
    assert label in _node_ids(contributor.get_global_my_submissions(page_size=1000))
    assert label in [w["node_db_id"] for w in contributor.iter_org_my_submissions(ORG)]
    assert label in [w["node_db_id"] for w in contributor.iter_global_my_submissions()]
    with pytest.raises(ForbiddenError):
        contributor.get_org_my_work(ORG + 1)
    timeline = client.get_task_timeline(PROJECT, run.workflow_id, run.task_id)
    assert timeline["events"][0]["event"] == "created"


@pytest.mark.anyio
async def test_runtime_async(
    local_backend: LocalPipelines,
    async_client: AsyncPipelinesClient,
    human_run: Any,
    people: dict[str, Person],
) -> None:
    run: HumanRun = human_run(rating=True)
    label, rate = run.nodes["label"], run.nodes["rate"]
    async with local_backend.async_client(api_key=people["contributor"].key) as contributor:
        work = await contributor.get_my_work(PROJECT, page_size=1000)
        assert label in _node_ids(work)
        assert label in [w["node_db_id"] async for w in contributor.iter_my_work(PROJECT)]
        sub = await contributor.get_subtask_node(PROJECT, run.workflow_id, label)
        assert sub["human"]["status"] == "open"
        await contributor.submit_subtask(
            PROJECT, run.workflow_id, label, payload={"output": {"verdict": "a"}}
        )
        mine = await contributor.get_my_submissions(PROJECT, page_size=1000)
        assert label in _node_ids(mine)
        assert label in [w["node_db_id"] async for w in contributor.iter_my_submissions(PROJECT)]
        reverted = await contributor.revert_node(PROJECT, run.workflow_id, label, 1)
        assert reverted["attempt_count"] == 2
    rejected = await async_client.submit_review(
        PROJECT, run.workflow_id, label, payload={"approved": False}
    )
    assert rejected["status"] == "open"
    released = await async_client.release_node(PROJECT, run.workflow_id, label)
    assert released["assignee_user_id"] is None
    await async_client.admin_edit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "b"}}
    )
    await async_client.admin_submit_subtask(
        PROJECT, run.workflow_id, label, payload={"output": {"verdict": "c"}}
    )
    done = await async_client.admin_submit_review(
        PROJECT, run.workflow_id, label, payload={"approved": True}
    )
    assert done["status"] == "completed"
    edited = await async_client.admin_edit_review(
        PROJECT, run.workflow_id, label, payload={"comment": "x"}
    )
    assert edited["reviews"][-1]["comment"] == "x"
    inline = await async_client.admin_inline_edit(
        PROJECT, run.workflow_id, label, payload={"outputs": {"verdict": "d"}}
    )
    assert inline["outputs"]["verdict"] == "d"
    history = await async_client.get_node_history(PROJECT, run.workflow_id, label)
    assert len(history["attempts"]) == 3
    async with local_backend.async_client(api_key=people["reviewer"].key) as reviewer:
        rated = await reviewer.submit_review(
            PROJECT,
            run.workflow_id,
            rate,
            payload={"approved": True, "ratings": [{"criterion_id": run.criterion_id, "value": 1}]},
        )
        assert rated["status"] == "completed"
    task = await async_client.get_task(PROJECT, run.workflow_id, run.task_id)
    result = next(n for n in task["nodes"] if n["id"] == rate)["evaluation_results"][0]
    assert (result["value"], result["passed"]) == (1, False)

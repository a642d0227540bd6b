"""Prompts, criteria, evaluations and models over HTTP, driven by our sync client.

Covers CRUD, versions, filters, pagination, org namespacing, scopes (401/403/404/422).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_pipelines.client import (
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    PipelinesClient,
)
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._engine.errors import OTHER_ORG
from pytest_pipelines.local._engine.regex import MSG_UNSUPPORTED

RECIPES: dict[str, dict[str, Any]] = {
    "exact_match": {
        "type": "programmatic",
        "config": {"subtype": "exact_match", "case_sensitive": False, "strip_whitespace": True},
        "output_schema": {"type": "boolean"},
    },
    "contains_keywords": {
        "type": "programmatic",
        "config": {
            "subtype": "contains_keywords",
            "keywords": ["Colosseum", "Vatican"],
            "mode": "any",
            "case_sensitive": False,
        },
        "output_schema": {"type": "boolean"},
    },
    "regex_match": {
        "type": "programmatic",
        "config": {"subtype": "regex_match", "pattern": r"Day\s+[1-5]", "flags": ["IGNORECASE"]},
        "output_schema": {"type": "boolean"},
    },
    "json_validity": {
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
    },
    "llm_judge": {
        "type": "llm_judge",
        "config": {
            "model": "gemini-3.5-flash",
            "temperature": 0,
            "prompt_template": "Score the itinerary from 1 to 5. Return only the number.",
        },
        "output_schema": {"type": "rating", "range": [1, 5]},
    },
    "human_rating": {
        "type": "human_rating",
        "config": {"rubric": "1 = poor, 3 = acceptable, 5 = excellent"},
        "output_schema": {
            "type": "rating",
            "range": [1, 5],
            "labels": {"1": "Poor", "3": "Acceptable", "5": "Excellent"},
        },
    },
    "llm_metric": {
        "type": "llm_metric",
        "config": {"subtype": "answer_relevancy", "threshold": 0.7},
        "output_schema": {"type": "numeric", "range": [0, 1]},
    },
}


def criterion(name: str, recipe: str) -> dict[str, Any]:
    return {
        "name": name,
        "display_label": name,
        "scope_type": "org",
        "org_id": 2,
        **copy.deepcopy(RECIPES[recipe]),
    }


@pytest.fixture(scope="module")
def other_org_key(local_backend: LocalPipelines) -> str:
    """A full key of organization 3 (seeded once)."""
    local_backend.seed(
        {
            "organizations": [{"id": 3, "name": "Other org"}],
            "api_keys": [
                {"key": "pk_local_other_org", "org_id": 3, "scopes": ["*"], "name": "other"}
            ],
        }
    )
    return "pk_local_other_org"


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_guide_recipe_creates_a_criterion(
    client: PipelinesClient, unique: Callable[[str], str], recipe: str
) -> None:
    created = client.create_criterion(criterion(unique(recipe), recipe))
    assert created["type"] == RECIPES[recipe]["type"]
    assert created["config"] == RECIPES[recipe]["config"]
    assert created["version"] == 1
    assert client.request("GET", f"/api/criteria/{created['id']}")["name"] == created["name"]


@pytest.mark.parametrize(
    ("recipe", "missing"),
    [
        ("contains_keywords", "keywords"),
        ("regex_match", "pattern"),
        ("llm_judge", "prompt_template"),
    ],
)
def test_criterion_type_config_mismatch_is_422_naming_field(
    http: httpx.Client, recipe: str, missing: str
) -> None:
    payload = criterion("bad", recipe)
    del payload["config"][missing]
    response = http.post("/api/criteria", json=payload)
    assert response.status_code == 422
    assert ["body", "config", missing] in [e["loc"] for e in response.json()["detail"]]


def test_a_pattern_re2_cannot_run_is_422_naming_the_construct(http: httpx.Client) -> None:
    payload = criterion("backreference", "regex_match")
    payload["config"]["pattern"] = r"(Day) \1"
    response = http.post("/api/criteria", json=payload)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "config", "pattern"]
    assert error["msg"] == MSG_UNSUPPORTED.format(
        pattern=r"(Day) \1", problem="invalid escape sequence: \\1"
    )


def test_absent_body_is_422(http: httpx.Client) -> None:
    response = http.post("/api/criteria")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_evaluation_pins_criterion_versions_and_rejects_unknown(
    client: PipelinesClient, http: httpx.Client, unique: Callable[[str], str]
) -> None:
    crit = client.create_criterion(criterion(unique("kw"), "contains_keywords"))
    evaluation = client.create_evaluation(
        {
            "name": unique("eval"),
            "criteria": [{"criterion_id": crit["id"]}],
            "scope_type": "org",
            "org_id": 2,
        }
    )
    assert evaluation["criteria"] == [{"criterion_id": crit["id"], "criterion_version": 1}]
    bad = http.post("/api/evaluations", json={"name": "x", "criteria": [{"criterion_id": 999999}]})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "criteria", 0, "criterion_id"]


def test_update_creates_versions_readable_by_number(
    client: PipelinesClient, unique: Callable[[str], str]
) -> None:
    prompt = client.create_prompt(
        {"name": unique("p"), "prompt_text": "v1", "role": "user", "scope_type": "org", "org_id": 2}
    )
    client.update_prompt(prompt["id"], {"prompt_text": "v2"})
    client.update_prompt(prompt["id"], {"prompt_text": "v3"})
    assert client.request("GET", f"/api/prompts/{prompt['id']}")["version"] == 3
    versions = client.request("GET", f"/api/prompts/{prompt['id']}/versions")
    assert [v["prompt_text"] for v in versions["items"]] == ["v1", "v2", "v3"]
    assert (
        client.request("GET", f"/api/prompts/{prompt['id']}", params={"version": 2})["prompt_text"]
        == "v2"
    )
    with pytest.raises(NotFoundError, match="no version 9"):
        client.request("GET", f"/api/prompts/{prompt['id']}", params={"version": 9})


def test_pagination_and_filters(client: PipelinesClient, unique: Callable[[str], str]) -> None:
    names = [unique("page") for _ in range(5)]
    ids = [
        client.create_prompt({"name": n, "prompt_text": "x", "scope_type": "org", "org_id": 2})[
            "id"
        ]
        for n in names
    ]
    first = client.list_prompts(page=1, page_size=2)
    assert len(first["items"]) == 2
    assert first["has_more"] is True
    assert first["total"] >= 5
    walked = [p["id"] for p in client.iter_prompts(page_size=2, scope_type="org", org_id=2)]
    assert set(ids) <= set(walked)
    assert len(walked) == len(set(walked))
    assert client.list_prompts(scope_type="global")["items"] == []


def test_models_list_registry_slugs(client: PipelinesClient) -> None:
    slugs = {m["slug"] for m in client.list_models(org_id=2, page_size=10)["items"]}
    assert {"echo", "demo-planner", "demo-researcher", "demo-judge", "gemini-3.5-flash"} <= slugs


def test_prompts_only_key_gets_403_on_models_and_evaluations(local_backend: LocalPipelines) -> None:
    with local_backend.client(api_key="pk_local_prompts_only") as limited:
        assert limited.list_prompts(page_size=10)["items"]
        with pytest.raises(ForbiddenError, match="no access to models"):
            limited.list_models(org_id=2, page_size=10)
        with pytest.raises(ForbiddenError, match="no access to evaluations"):
            limited.list_evaluations(page_size=10)


def test_unknown_key_is_authentication_error(local_backend: LocalPipelines) -> None:
    with (
        local_backend.client(api_key="pk_local_not_a_key") as bad,
        pytest.raises(AuthenticationError) as info,
    ):
        bad.whoami()
    assert "pk_local_not_a_key" not in str(info.value)


def test_other_org_objects_are_invisible(
    local_backend: LocalPipelines,
    client: PipelinesClient,
    other_org_key: str,
    unique: Callable[[str], str],
) -> None:
    mine = client.create_prompt(
        {"name": unique("mine"), "prompt_text": "x", "scope_type": "org", "org_id": 2}
    )
    with local_backend.client(api_key=other_org_key) as other:
        assert other.whoami()["org_id"] == 3
        with pytest.raises(NotFoundError):
            other.request("GET", f"/api/prompts/{mine['id']}")
        with pytest.raises(ForbiddenError, match="organization 3 and cannot act on organization 2"):
            other.list_models(org_id=2)
        with pytest.raises(ForbiddenError) as info:
            other.create_prompt({"name": "x", "prompt_text": "y", "org_id": 2})
        assert info.value.message == OTHER_ORG.format(own=3, other=2)
        with pytest.raises(NotFoundError):
            other.get_configurable_fields(project_id=22, workflow_id=10)


def test_concurrent_updates_of_one_prompt_get_consecutive_versions(
    local_backend: LocalPipelines, http: httpx.Client, unique: Callable[[str], str]
) -> None:
    prompt = http.post("/api/prompts", json={"name": unique("race"), "prompt_text": "v1"}).json()
    barrier = threading.Barrier(8)
    codes: list[int] = []

    def update(n: int) -> None:
        with httpx.Client(base_url=local_backend.base_url, headers=http.headers) as own:
            barrier.wait()
            codes.append(
                own.put(f"/api/prompts/{prompt['id']}", json={"prompt_text": f"t{n}"}).status_code
            )

    threads = [threading.Thread(target=update, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert codes == [200] * 8
    current = http.get(f"/api/prompts/{prompt['id']}").json()
    versions = http.get(f"/api/prompts/{prompt['id']}/versions").json()["items"]
    assert [v["version"] for v in versions] == list(range(1, 10))
    # the record names its newest snapshot, and that snapshot holds the record's text
    assert current["version"] == 9
    assert versions[-1]["prompt_text"] == current["prompt_text"]
    assert (
        http.get(f"/api/prompts/{prompt['id']}", params={"version": 9}).json()["prompt_text"]
        == current["prompt_text"]
    )

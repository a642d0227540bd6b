"""The skeleton of the local backend over real HTTP: health, identity, auth, errors, prompts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._http.deps import MISSING_KEY, UNKNOWN_KEY
from pytest_pipelines.local._http.errors import INTERNAL


def test_health_needs_no_key(local_backend: LocalPipelines) -> None:
    response = httpx.get(local_backend.base_url + "/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_me_names_demo_user(http: httpx.Client) -> None:
    me = http.get("/api/auth/me").json()
    assert me["email"] == "demo@pipelines.local"
    assert me["org_id"] == 2


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, MISSING_KEY), ({"Authorization": "Bearer pk_nope"}, UNKNOWN_KEY)],
)
def test_missing_or_unknown_key_is_401(
    local_backend: LocalPipelines, headers: dict[str, str], message: str
) -> None:
    response = httpx.get(local_backend.base_url + "/api/prompts", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert "pk_nope" not in response.text


def test_prompt_crud_and_versions(http: httpx.Client, unique: Any) -> None:
    name = unique("prompt")
    created = http.post("/api/prompts", json={"name": name, "prompt_text": "Hi {{city}}"}).json()
    assert created["version"] == 1
    assert created["org_id"] == 2
    updated = http.put(
        f"/api/prompts/{created['id']}", json={"prompt_text": "Hello {{city}}"}
    ).json()
    assert updated["version"] == 2
    first = http.get(f"/api/prompts/{created['id']}", params={"version": 1}).json()
    assert first["prompt_text"] == "Hi {{city}}"
    listed = http.get("/api/prompts", params={"name": name}).json()
    assert [p["id"] for p in listed["items"]] == [created["id"]]
    assert http.delete(f"/api/prompts/{created['id']}").status_code == 200
    assert http.get(f"/api/prompts/{created['id']}").status_code == 404


def test_prompt_without_text_is_422_naming_field(http: httpx.Client) -> None:
    response = http.post("/api/prompts", json={"name": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "prompt_text"]


def test_an_unhandled_error_is_a_500_and_keeps_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalPipelines() as local:
        assert local.state is not None
        real = local.state.db.get_key
        calls: list[str] = []

        def failing_once(key: str) -> dict[str, Any] | None:
            calls.append("x")
            if len(calls) == 1:
                raise RuntimeError("a bug")
            return real(key)

        monkeypatch.setattr(local.state.db, "get_key", failing_once)
        headers = {"Authorization": f"Bearer {local.api_key}"}
        with httpx.Client(base_url=local.base_url, headers=headers) as http:
            broken = http.get("/api/prompts")
            assert broken.status_code == 500
            assert broken.json() == {"detail": INTERNAL.format(error="RuntimeError")}
            # the same keep-alive connection still answers
            assert http.get("/api/prompts").status_code == 200

"""The store's bounds seen over HTTP: SQLite's 64-bit integers and paging past the end."""

from __future__ import annotations

import httpx
import pytest

HUGE = 10**20  # beyond SQLite's 64-bit integers


@pytest.mark.parametrize(
    "path",
    [
        f"/api/prompts/{HUGE}",
        f"/api/prompts/{HUGE}/versions",
        f"/api/projects/22/workflows/10/tasks/{HUGE}",
        f"/api/projects/{HUGE}/workflows/10",
        f"/api/projects/22/workflows/10/seeded-data/create-tasks-status/job-{HUGE}",
        f"/api/projects/22/workflows/10/experiments/exp-{HUGE}",
        f"/api/projects/22/workflows/10/nodes/{HUGE}/tool-call-history",
    ],
)
def test_ids_beyond_64_bits_are_404_not_500(http: httpx.Client, path: str) -> None:
    answer = http.get(path)
    assert answer.status_code == 404, answer.text
    assert "not found" in answer.json()["detail"]


def test_prompt_version_beyond_64_bits_is_404(http: httpx.Client) -> None:
    prompt = http.get("/api/prompts", params={"page_size": 1}).json()["items"][0]
    answer = http.get(f"/api/prompts/{prompt['id']}", params={"version": HUGE})
    assert answer.status_code == 404, answer.text


def test_a_page_far_past_the_end_is_empty(http: httpx.Client) -> None:
    answer = http.get("/api/prompts", params={"page": 10**18, "page_size": 1000})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["items"] == []
    assert body["has_more"] is False
    assert body["total"] > 0

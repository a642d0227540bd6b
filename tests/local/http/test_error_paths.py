"""Error answers of the rest-of-the-guide routes over raw HTTP: status, and the message that
says what is wrong and how to fix it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_pipelines.local._http.routers.datasets import BAD_FORMAT, EXPORT_FORMATS
from pytest_pipelines.local._http.routers.files import FILENAME_REQUIRED
from pytest_pipelines.local._http.routers.notifications import BAD_STREAM, MARK_READ

from .._helpers import PROJECT


def _detail(response: httpx.Response) -> Any:
    return response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", f"/api/projects/{PROJECT}/files/upload-url", {}, 422),
        ("POST", "/api/projects/999999/files/upload-url", {"filename": "a"}, 404),
        ("GET", f"/api/projects/{PROJECT}/files/999999/url", None, 404),
        ("POST", f"/api/projects/{PROJECT}/workflow-chains", {"workflow_ids": []}, 422),
        ("POST", "/api/notifications/mark-read", {"notification_ids": [1], "all": True}, 422),
        ("POST", "/api/notifications/mark-read", {}, 422),
        ("GET", "/api/datasets/999999", None, 404),
        ("GET", "/api/datasets/import/jobs/eval-1", None, 404),
        ("POST", f"/api/projects/{PROJECT}/workflows/10/seed-from-dataset", {}, 422),
        ("GET", "/api/organizations/3", None, 403),
        ("GET", "/api/notifications/999999", None, 404),
        ("POST", "/api/notebooks/999999/preview", {}, 404),
    ],
)
def test_error_statuses(
    http: httpx.Client, method: str, path: str, body: dict[str, Any] | None, status: int
) -> None:
    response = http.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert _detail(response)


def test_error_messages_name_the_fix(http: httpx.Client) -> None:
    missing = http.post(f"/api/projects/{PROJECT}/files/upload-url", json={"filename": " "})
    assert _detail(missing)[0] == {
        "loc": ["body", "filename"],
        "msg": FILENAME_REQUIRED,
        "type": "missing",
    }
    both = http.post("/api/notifications/mark-read", json={"all": True, "notification_ids": [1]})
    assert _detail(both)[0]["msg"] == MARK_READ
    stream = http.get("/api/notifications", params={"stream": "xml"})
    assert _detail(stream)[0]["msg"] == BAD_STREAM
    upload = http.post(
        "/api/datasets/import/file", files={"file": ("a.csv", b"x\n1\n")}, data={"name": "e"}
    )
    assert upload.status_code == 200
    dataset_id = upload.json()["dataset_id"]
    bad = http.get(f"/api/datasets/{dataset_id}/export", params={"format": "xlsx"})
    assert bad.status_code == 422
    assert _detail(bad)[0]["msg"] == BAD_FORMAT.format(
        format="xlsx", valid=", ".join(EXPORT_FORMATS)
    )


def test_confirm_needs_a_json_object(http: httpx.Client) -> None:
    ticket = http.post(f"/api/projects/{PROJECT}/files/upload-url", json={"filename": "z"}).json()
    url = f"/api/projects/{PROJECT}/files/{ticket['file_id']}/confirm"
    assert http.post(url).status_code == 422
    assert http.post(url, json=[1]).status_code == 422

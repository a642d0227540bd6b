"""Regression tests of issue 11's Low findings (7-13), written against the public HTTP API.

Each test names its finding. They run on the shared demo backend of ``tests/conftest.py`` and
create their own objects (unique names), except where a private backend is needed.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import posixpath
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from pytest_pipelines.local import LocalPipelines

PROJECT = 22
ORG = 2


def _wait(http: httpx.Client, url: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status: dict[str, Any] = http.get(url).json()
        if status.get("status") in ("completed", "failed", "cancelled"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.02)


def _upload(
    http: httpx.Client, filename: str, content: bytes, content_type: str = "text/plain"
) -> int:
    ticket = http.post(
        f"/api/projects/{PROJECT}/files/upload-url",
        json={"filename": filename, "content_type": content_type},
    )
    assert ticket.status_code == 200, ticket.text
    put = httpx.put(ticket.json()["upload_url"], content=content)
    assert put.status_code == 200, put.text
    file_id = int(ticket.json()["file_id"])
    confirmed = http.post(f"/api/projects/{PROJECT}/files/{file_id}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.text
    return file_id


def _import_rows(http: httpx.Client, rows: list[dict[str, Any]], name: str) -> int:
    started = http.post(
        "/api/datasets/import/file",
        files={"file": ("rows.json", json.dumps(rows).encode(), "application/json")},
        data={"name": name},
    )
    assert started.status_code == 200, started.text
    status = _wait(http, f"/api/datasets/import/jobs/{started.json()['job_id']}")
    assert status["status"] == "completed", status
    return int(started.json()["dataset_id"])


# -- 7. zip export entries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    ["../../../escaped.txt", "/etc/absolute.txt", "..\\..\\windows.txt", "a/../../up.txt"],
)
def test_zip_export_entries_stay_inside_the_archive_folders(
    http: httpx.Client, unique: Callable[[str], str], filename: str
) -> None:
    """Finding 7: an entry named from a user's file name cannot leave ``files/``."""
    file_id = _upload(http, filename, b"payload")
    dataset_id = _import_rows(http, [{"doc": f"file://{file_id}"}], unique("zip slip"))
    exported = http.get(f"/api/datasets/{dataset_id}/export", params={"format": "zip"})
    assert exported.status_code == 200, exported.text
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    names = archive.namelist()
    for name in names:
        parts = name.replace("\\", "/").split("/")
        assert ".." not in parts, names
        assert not name.startswith(("/", "\\")), names
        assert posixpath.normpath(name) == name, names
    bundled = [n for n in names if n.startswith("files/")]
    assert len(bundled) == 1, names
    assert archive.read(bundled[0]) == b"payload"
    manifest = json.loads(archive.read("manifest.json"))
    assert [f["path"] for f in manifest["files"]] == bundled


# -- 8. json_validity and remote $ref ----------------------------------------------------------


@pytest.fixture
def schema_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server serving a JSON Schema at any path; records every path asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = json.dumps({"type": "object"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_json_validity_never_fetches_a_remote_ref(
    http: httpx.Client, unique: Callable[[str], str], schema_server: tuple[str, list[str]]
) -> None:
    """Finding 8: a schema's remote ``$ref`` is not retrieved by the server."""
    base, asked = schema_server
    criterion = http.post(
        "/api/criteria",
        json={
            "name": unique("remote ref"),
            "display_label": "Remote ref",
            "type": "programmatic",
            "config": {"subtype": "json_validity", "schema": {"$ref": f"{base}/schema.json"}},
            "output_schema": {"type": "boolean"},
        },
    )
    if criterion.status_code == 422:  # refused at the door: fine, and nothing was fetched
        assert asked == []
        assert "remote" in criterion.text
        return
    assert criterion.status_code == 200, criterion.text
    evaluation = http.post(
        "/api/evaluations",
        json={
            "name": unique("remote ref eval"),
            "criteria": [{"criterion_id": criterion.json()["id"]}],
        },
    )
    assert evaluation.status_code == 200, evaluation.text
    dataset_id = _import_rows(http, [{"output": '{"a": 1}'}], unique("remote ref rows"))
    scored = http.post(
        f"/api/datasets/{dataset_id}/eval-preview",
        json={"evaluation_id": evaluation.json()["id"], "output_column": "output"},
    )
    assert asked == []
    assert scored.status_code == 200, scored.text
    assert "remote" in scored.text, scored.text


# -- 9. answers that were 500s or no answer at all ---------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_a_body_are_a_422(
    http: httpx.Client, unique: Callable[[str], str], constant: str
) -> None:
    """Finding 9: ``NaN``/``Infinity`` are not JSON; a 422 names them instead of a 500."""
    name = json.dumps(unique("nan"))
    raw = f'{{"name": {name}, "prompt_text": "x", "temperature": {constant}}}'
    answer = http.post("/api/prompts", content=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, list), detail
    assert constant.lstrip("-") in json.dumps(detail)


def test_non_finite_cells_of_an_imported_csv_do_not_break_reads(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    """Finding 9: ``nan``/``inf`` cells of a CSV are kept as text, so the rows stay JSON."""
    started = http.post(
        "/api/datasets/import/file",
        files={"file": ("rows.csv", b"q,score\na,nan\nb,inf\nc,-Infinity\nd,1.5\n", "text/csv")},
        data={"name": unique("nan csv")},
    )
    assert started.status_code == 200, started.text
    assert _wait(http, f"/api/datasets/import/jobs/{started.json()['job_id']}")["status"] == (
        "completed"
    )
    content = http.get(f"/api/datasets/{started.json()['dataset_id']}/content")
    assert content.status_code == 200, content.text
    scores = [row["score"] for row in content.json()["items"]]
    assert scores == ["nan", "inf", "-Infinity", 1.5]


@pytest.mark.parametrize("raw", ["-1755", "1.5", "true", "null", '"text"', "[1, 2]"])
def test_a_json_body_that_is_not_an_object_is_a_422(http: httpx.Client, raw: str) -> None:
    """Found by the fuzz test: a scalar JSON body was a 500 (TypeError) on every JSON route."""
    for method, path in (("POST", "/api/prompts"), ("PATCH", "/api/prompts/1")):
        answer = http.request(
            method, path, content=raw, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 422, (method, answer.text)
        assert answer.json()["detail"][0]["type"] == "dict_type"


@pytest.mark.parametrize(
    "path",
    [
        "/api/datasets/import/jobs/import-%C2%B2",
        "/api/datasets/1/eval-run/eval-%C2%B2",
        f"/api/projects/{PROJECT}/workflows/10/export-tasks-status/export-%C2%B2",
        f"/api/projects/{PROJECT}/workflows/10/seed-data-status/seed-%C2%B2",
        f"/api/projects/{PROJECT}/workflows/10/seeded-data/create-tasks-status/job-%C2%B2",
        f"/api/projects/{PROJECT}/workflows/10/seeded-data/create-tasks-status/%C2%B2",
        f"/api/projects/{PROJECT}/workflows/10/experiments/%C2%B2",
    ],
)
def test_job_ids_with_non_ascii_digits_are_a_404(http: httpx.Client, path: str) -> None:
    """Finding 9: ``'²'.isdigit()`` is true but ``int('²')`` raises: a 404, not a 500."""
    answer = http.get(path)
    assert answer.status_code == 404, (answer.status_code, answer.text)


@pytest.mark.parametrize("status", [{"a": 1}, [1, [2]], [{"a": 1}], True])
def test_export_tasks_status_of_a_wrong_type_is_a_422(http: httpx.Client, status: Any) -> None:
    """Finding 9: ``status`` must be a string (or a list of strings)."""
    answer = http.post(
        f"/api/projects/{PROJECT}/workflows/10/export-tasks", json={"status": status}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == "status"


def test_export_tasks_status_filter_still_filters(http: httpx.Client) -> None:
    """A string or a list of strings keeps filtering (the fix must not drop the filter)."""
    for status in ("completed", ["completed", "failed"], "no-such-status"):
        answer = http.post(
            f"/api/projects/{PROJECT}/workflows/10/export-tasks",
            json={"status": status, "format": "json"},
        )
        assert answer.status_code == 200, answer.text
        rows = json.loads(answer.json()["content"])
        allowed = [status] if isinstance(status, str) else status
        assert all(row["status"] in allowed for row in rows)


@pytest.fixture
def private_backend() -> Iterator[LocalPipelines]:
    """A demo backend of this test alone (chaos settings are global to a backend)."""
    with LocalPipelines(demo=True) as local:
        yield local


@pytest.mark.parametrize(
    "settings",
    [
        {"seed": [1, 2]},
        {"seed": {"a": 1}},
        {"seed": 1.5},
        {"seed": True},
        {"delay_ms": 1e12},
        {"delay_ms": -1},
        {"delay_ms": "10"},
        {"delay_ms": 10**9},
        {"retry_after": -1},
        {"retry_after": [1]},
        {"retry_after": 10**9},
    ],
)
def test_chaos_settings_of_a_wrong_type_or_out_of_bounds_are_a_422(
    private_backend: LocalPipelines, settings: dict[str, Any]
) -> None:
    """Finding 9: ``PUT /_local/chaos`` checks every setting's type and bounds."""
    answer = httpx.put(
        f"{private_backend.base_url}/_local/chaos",
        json=settings,
        headers={"Authorization": f"Bearer {private_backend.admin_key}"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == next(iter(settings))
    assert private_backend.state is not None
    assert private_backend.state.chaos.as_dict() == type(private_backend.state.chaos)().as_dict()


def test_chaos_settings_in_bounds_are_accepted(private_backend: LocalPipelines) -> None:
    """Valid settings are kept (the checks must not refuse what the CLI documents)."""
    settings = {"seed": 7, "delay_ms": 250, "delay_rate": 0.5, "retry_after": 2, "rate_429": 0}
    answer = httpx.put(
        f"{private_backend.base_url}/_local/chaos",
        json=settings,
        headers={"Authorization": f"Bearer {private_backend.admin_key}"},
    )
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in settings} == settings


def test_a_non_ascii_file_name_downloads_with_rfc_5987(http: httpx.Client) -> None:
    """Finding 9: ``日本語.txt`` downloads (``filename*=UTF-8''...`` plus an ASCII fallback)."""
    name = "日本語 report.txt"
    file_id = _upload(http, name, "こんにちは".encode())
    url = http.get(f"/api/projects/{PROJECT}/files/{file_id}/url").json()["url"]
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.content == "こんにちは".encode()
    disposition = answer.headers["content-disposition"]
    assert disposition.isascii()
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert 'filename="' in disposition


def test_a_quote_in_a_file_name_cannot_break_the_disposition_header(http: httpx.Client) -> None:
    """A ``"`` or ``;`` in the name stays inside the quoted fallback and the encoded name."""
    name = 'a";b=c.txt'
    file_id = _upload(http, name, b"x")
    url = http.get(f"/api/projects/{PROJECT}/files/{file_id}/url").json()["url"]
    disposition = httpx.get(url).headers["content-disposition"]
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback
    assert ";" not in fallback
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition


@pytest.mark.parametrize("bad", ["\r", "\n", "\x00", "\r\nX-Injected: 1", "\x7f"])
@pytest.mark.parametrize("field", ["filename", "content_type"])
def test_control_characters_in_a_file_name_or_type_are_a_422(
    http: httpx.Client, field: str, bad: str
) -> None:
    """Finding 9: CR/LF/NUL would end up in a response header; refused at the door."""
    body = {"filename": "report.txt", "content_type": "text/plain"}
    body[field] = body[field] + bad
    answer = http.post(f"/api/projects/{PROJECT}/files/upload-url", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == field


def test_a_content_type_that_is_not_a_media_type_is_a_422(http: httpx.Client) -> None:
    """The content type becomes a response header; it must look like ``type/subtype``."""
    answer = http.post(
        f"/api/projects/{PROJECT}/files/upload-url",
        json={"filename": "a.txt", "content_type": "not a media type"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == "content_type"
    ok = http.post(
        f"/api/projects/{PROJECT}/files/upload-url",
        json={"filename": "a.txt", "content_type": "text/plain; charset=utf-8"},
    )
    assert ok.status_code == 200, ok.text


# -- 10. role gaps -----------------------------------------------------------------------------


@pytest.fixture
def org_people(local_backend: LocalPipelines, unique: Callable[[str], str]) -> dict[str, str]:
    """Keys of a viewer and two contributors of org 2 (fresh users of this test)."""
    keys: dict[str, str] = {}
    for role, name in (("viewer", "viewer"), ("contributor", "alice"), ("contributor", "bob")):
        tag = unique(name).replace(" ", "-").replace("[", "").replace("]", "")
        created = local_backend.seed(
            {
                "users": [
                    {"email": f"{tag}@pipelines.local", "name": name, "org_id": ORG, "role": role}
                ]
            }
        )
        user_id = created["created"]["users"][0]
        key = f"pk_local_sec_{tag}"
        local_backend.seed(
            {
                "api_keys": [
                    {"key": key, "name": name, "org_id": ORG, "user_id": user_id, "scopes": ["*"]}
                ]
            }
        )
        keys[name] = key
        keys[f"{name}_id"] = str(user_id)
    return keys


@pytest.fixture
def human_node(http: httpx.Client, unique: Callable[[str], str]) -> tuple[int, int]:
    """A workflow whose second node is human work, run once: (workflow id, human node db id)."""
    definition = {
        "nodes": [
            {
                "id": "plan",
                "title": "Plan",
                "fields": [
                    {"id": "city", "type": "input", "title": "City"},
                    {
                        "id": "itinerary",
                        "type": "llm",
                        "title": "Itinerary",
                        "prompt_text": "Plan a day in {{city}}.",
                        "model": "echo",
                    },
                ],
            },
            {
                "id": "label",
                "title": "Label",
                "fields": [],
                "human": {"fields": [{"id": "verdict", "title": "Verdict"}], "review": True},
            },
        ]
    }
    workflow = http.post(
        f"/api/projects/{PROJECT}/workflows",
        json={"name": unique("human"), "definition": definition},
    )
    assert workflow.status_code == 200, workflow.text
    wf = workflow.json()["id"]
    job = http.post(
        f"/api/projects/{PROJECT}/workflows/{wf}/seeded-data/create-tasks-async",
        json={"count": 1, "inputs": [{"city": "Rome"}]},
    )
    assert job.status_code == 200, job.text
    status = _wait(
        http,
        f"/api/projects/{PROJECT}/workflows/{wf}/seeded-data/create-tasks-status/{job.json()['job_id']}",
    )
    assert status["status"] == "completed", status
    task = http.get(f"/api/projects/{PROJECT}/workflows/{wf}/tasks/{status['task_ids'][0]}")
    nodes = {n["node_id"]: n["id"] for n in task.json()["nodes"]}
    return wf, nodes["label"]


def test_a_viewer_cannot_read_a_node_with_its_linked_nodes(
    local_backend: LocalPipelines, org_people: dict[str, str], human_node: tuple[int, int]
) -> None:
    """Finding 10: a viewer is 403 on every runtime route, ``with-linked`` included."""
    wf, node = human_node
    url = f"{local_backend.base_url}/api/projects/{PROJECT}/workflows/{wf}/nodes/{node}/with-linked"
    as_viewer = httpx.get(url, headers={"Authorization": f"Bearer {org_people['viewer']}"})
    assert as_viewer.status_code == 403, as_viewer.text
    assert "viewer" in as_viewer.text
    as_contributor = httpx.get(url, headers={"Authorization": f"Bearer {org_people['alice']}"})
    assert as_contributor.status_code == 200, as_contributor.text


def test_a_contributor_cannot_refresh_another_users_item(
    http: httpx.Client,
    local_backend: LocalPipelines,
    org_people: dict[str, str],
    human_node: tuple[int, int],
) -> None:
    """Finding 10: refresh-prev-node-info on an item assigned to someone else is 403."""
    wf, node = human_node
    base = f"/api/projects/{PROJECT}/workflows/{wf}/nodes/{node}"
    assigned = http.post(
        f"{base}/admin-edit-subtask", json={"assignee_user_id": int(org_people["alice_id"])}
    )
    assert assigned.status_code == 200, assigned.text
    url = f"{local_backend.base_url}{base}/refresh-prev-node-info"
    as_bob = httpx.post(url, headers={"Authorization": f"Bearer {org_people['bob']}"})
    assert as_bob.status_code == 403, as_bob.text
    as_viewer = httpx.post(url, headers={"Authorization": f"Bearer {org_people['viewer']}"})
    assert as_viewer.status_code == 403, as_viewer.text
    as_alice = httpx.post(url, headers={"Authorization": f"Bearer {org_people['alice']}"})
    assert as_alice.status_code == 200, as_alice.text
    assert as_alice.json()["prev_node_info"]["node_id"] == "plan"


# -- 11. a global object's earlier private versions ---------------------------------------------


@pytest.fixture
def other_org(local_backend: LocalPipelines, unique: Callable[[str], str]) -> httpx.Client:
    """A client with a full key of another organization."""
    tag = unique("org").replace(" ", "-").replace("[", "").replace("]", "")
    created = local_backend.seed({"organizations": [{"name": f"Other {tag}"}]})
    org_id = created["created"]["organizations"][0]
    key = f"pk_local_sec_other_{tag}"
    local_backend.seed({"api_keys": [{"key": key, "name": "other", "org_id": org_id}]})
    return httpx.Client(
        base_url=local_backend.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


@pytest.fixture
def delete_after(http: httpx.Client) -> Iterator[list[str]]:
    """URLs to DELETE at teardown: global objects would show in other tests' global listings."""
    urls: list[str] = []
    yield urls
    for url in urls:
        http.delete(url)


@pytest.mark.parametrize("plural", ["prompts", "criteria", "evaluations"])
def test_making_an_object_global_keeps_its_private_versions_private(
    http: httpx.Client,
    other_org: httpx.Client,
    unique: Callable[[str], str],
    plural: str,
    delete_after: list[str],
) -> None:
    """Finding 11: another organization sees only the versions made while it was global."""
    bodies = {
        "prompts": {"prompt_text": "SECRET private draft"},
        "criteria": {
            "display_label": "Keywords",
            "type": "programmatic",
            "config": {"subtype": "contains_keywords", "keywords": ["SECRET"]},
            "output_schema": {"type": "boolean"},
            "description": "SECRET private draft",
        },
        "evaluations": {"criteria": [], "description": "SECRET private draft"},
    }
    created = http.post(f"/api/{plural}", json={"name": unique("global"), **bodies[plural]})
    assert created.status_code == 200, created.text
    object_id = created.json()["id"]
    delete_after.append(f"/api/{plural}/{object_id}")
    public = {"prompt_text": "public text"} if plural == "prompts" else {"description": "public"}
    if plural == "criteria":
        public["config"] = {"subtype": "contains_keywords", "keywords": ["public"]}
    made_global = http.patch(f"/api/{plural}/{object_id}", json={"scope_type": "global", **public})
    assert made_global.status_code == 200, made_global.text
    latest = made_global.json()["version"]
    with other_org:
        assert other_org.get(f"/api/{plural}/{object_id}").status_code == 200
        assert (
            other_org.get(f"/api/{plural}/{object_id}", params={"version": latest}).status_code
            == 200
        )
        early = other_org.get(f"/api/{plural}/{object_id}", params={"version": 1})
        assert early.status_code == 404, early.text
        assert "SECRET" not in early.text
        versions = other_org.get(f"/api/{plural}/{object_id}/versions")
        assert versions.status_code == 200
        assert "SECRET" not in versions.text
        assert [v["version"] for v in versions.json()["items"]] == [latest]
    own = http.get(f"/api/{plural}/{object_id}/versions").json()
    assert [v["version"] for v in own["items"]] == list(range(1, latest + 1))


def test_another_organization_cannot_run_a_private_version_of_a_global_prompt(
    http: httpx.Client,
    other_org: httpx.Client,
    unique: Callable[[str], str],
    delete_after: list[str],
) -> None:
    """Finding 11: a run pinned to an earlier private version is a 422 for another org."""
    prompt = http.post("/api/prompts", json={"name": unique("p"), "prompt_text": "SECRET"})
    prompt_id = prompt.json()["id"]
    delete_after.append(f"/api/prompts/{prompt_id}")
    http.patch(f"/api/prompts/{prompt_id}", json={"scope_type": "global", "prompt_text": "ok"})
    with other_org:
        project = other_org.post("/api/projects", json={"name": unique("other project")})
        assert project.status_code == 200, project.text
        field = {"id": "out", "type": "llm", "title": "Out", "model": "echo", "prompt_text": "hi"}
        definition = {"nodes": [{"id": "n", "title": "N", "fields": [field]}]}
        wf = other_org.post(
            f"/api/projects/{project.json()['id']}/workflows",
            json={"name": unique("other wf"), "definition": definition},
        )
        assert wf.status_code == 200, wf.text
        base = f"/api/projects/{project.json()['id']}/workflows/{wf.json()['id']}"

        def run(version: int) -> httpx.Response:
            override = {"nodeId": "n", "fieldId": "out", "promptId": prompt_id, "version": version}
            return other_org.post(
                f"{base}/seeded-data/create-tasks-async",
                json={"count": 1, "configOverrides": {"prompts": [override]}},
            )

        early = run(1)
        assert early.status_code == 422, early.text
        assert "SECRET" not in early.text
        assert run(2).status_code == 200


# -- 12. cascades, import speed, the key in the environment -------------------------------------


def _tool_setup(http: httpx.Client, unique: Callable[[str], str]) -> int:
    endpoint = http.post(
        f"/api/organizations/{ORG}/tool-endpoints",
        json={
            "name": unique("cascade tools"),
            "endpoint_type": "mock",
            "config": {
                "tools": [
                    {
                        "name": "search_docs",
                        "description": "Search the docs.",
                        "input_schema": {
                            "type": "object",
                            "properties": {"query": {"type": "string"}},
                        },
                        "response": "results for {{query}}",
                    }
                ]
            },
        },
    )
    assert endpoint.status_code == 200, endpoint.text
    return int(endpoint.json()["id"])


def _workflow_with_tools(
    http: httpx.Client, unique: Callable[[str], str], project_id: int, endpoint_id: int
) -> tuple[int, int]:
    definition = {
        "nodes": [
            {
                "id": "research",
                "title": "Research",
                "fields": [
                    {"id": "city", "type": "input", "title": "City"},
                    {
                        "id": "notes",
                        "type": "llm",
                        "title": "Notes",
                        "prompt_text": "Research {{city}}: search the docs for the top sights.",
                        "model": "demo-researcher",
                    },
                ],
            }
        ]
    }
    wf = http.post(
        f"/api/projects/{project_id}/workflows",
        json={"name": unique("cascade wf"), "definition": definition},
    )
    assert wf.status_code == 200, wf.text
    workflow_id = int(wf.json()["id"])
    binding = http.post(
        f"/api/workflows/{workflow_id}/tool-bindings",
        json={"node_id": "research", "field_id": "notes", "endpoint_id": endpoint_id},
    )
    assert binding.status_code == 200, binding.text
    truth = http.post(
        f"/api/workflows/{workflow_id}/tool-ground-truths",
        json={
            "node_id": "research",
            "field_id": "notes",
            "expected_tools": [{"name": "search_docs"}],
        },
    )
    assert truth.status_code == 200, truth.text
    job = http.post(
        f"/api/projects/{project_id}/workflows/{workflow_id}/seeded-data/create-tasks-async",
        json={"count": 1, "inputs": [{"city": "Rome"}]},
    )
    assert job.status_code == 200, job.text
    status = _wait(
        http,
        f"/api/projects/{project_id}/workflows/{workflow_id}/seeded-data/create-tasks-status/"
        f"{job.json()['job_id']}",
    )
    assert status["status"] == "completed", status
    return workflow_id, int(status["task_ids"][0])


def _leftovers(local: LocalPipelines, workflow_id: int, task_id: int) -> dict[str, int]:
    assert local.state is not None
    db = local.state.db
    nodes = db.query("node", parent_id=task_id)
    return {
        "task": len(db.query("task", parent_id=workflow_id)),
        "node": len(nodes),
        "tool_call": sum(len(db.query("tool_call", parent_id=n["id"])) for n in nodes),
        "tool_binding": len(db.query("tool_binding", parent_id=workflow_id)),
        "tool_ground_truth": len(db.query("tool_ground_truth", parent_id=workflow_id)),
        "job": len(db.query("job", parent_id=workflow_id)),
    }


def test_deleting_a_project_deletes_what_it_holds(
    http: httpx.Client, local_backend: LocalPipelines, unique: Callable[[str], str]
) -> None:
    """Finding 12: a deleted project's workflows, tasks, nodes and tool calls go with it."""
    endpoint_id = _tool_setup(http, unique)
    project = http.post("/api/projects", json={"name": unique("cascade project")})
    assert project.status_code == 200, project.text
    project_id = int(project.json()["id"])
    workflow_id, task_id = _workflow_with_tools(http, unique, project_id, endpoint_id)
    before = _leftovers(local_backend, workflow_id, task_id)
    assert min(before.values()) >= 1, before
    usage = f"/api/organizations/{ORG}/tool-endpoints/{endpoint_id}/usage"
    assert http.get(usage).json()["workflows"] == [workflow_id]

    assert http.delete(f"/api/projects/{project_id}").status_code == 200
    assert _leftovers(local_backend, workflow_id, task_id) == dict.fromkeys(before, 0)
    assert http.get(usage).json()["total_calls"] == 0
    count = f"/api/organizations/{ORG}/tool-endpoints/{endpoint_id}/binding-count"
    assert http.get(count).json()["count"] == 0
    assert local_backend.state is not None
    assert local_backend.state.db.get("workflow", workflow_id) is None


def test_deleting_a_workflow_deletes_its_bindings_truths_and_tasks(
    http: httpx.Client, local_backend: LocalPipelines, unique: Callable[[str], str]
) -> None:
    """Finding 12: a deleted workflow's tool bindings and ground truths go with it."""
    endpoint_id = _tool_setup(http, unique)
    workflow_id, task_id = _workflow_with_tools(http, unique, PROJECT, endpoint_id)
    before = _leftovers(local_backend, workflow_id, task_id)
    assert min(before.values()) >= 1, before
    assert http.delete(f"/api/projects/{PROJECT}/workflows/{workflow_id}").status_code == 200
    assert _leftovers(local_backend, workflow_id, task_id) == dict.fromkeys(before, 0)
    count = f"/api/organizations/{ORG}/tool-endpoints/{endpoint_id}/binding-count"
    assert http.get(count).json()["count"] == 0


def test_deleting_a_workflow_deletes_its_experiment_copies(
    http: httpx.Client, local_backend: LocalPipelines, unique: Callable[[str], str]
) -> None:
    """Finding 12: an experiment's workflow copies (and their bindings) go with the source."""
    endpoint_id = _tool_setup(http, unique)
    workflow_id, _ = _workflow_with_tools(http, unique, PROJECT, endpoint_id)
    started = http.post(
        f"/api/projects/{PROJECT}/workflows/{workflow_id}/experiments",
        json={"count": 1, "inputs": [{"city": "Rome"}], "variants": [{"name": "a"}]},
    )
    assert started.status_code == 200, started.text
    status = _wait(
        http,
        f"/api/projects/{PROJECT}/workflows/{workflow_id}/experiments/"
        f"{started.json()['experiment_id']}",
    )
    copy_id = int(status["variants"][0]["workflow_id"])
    assert copy_id != workflow_id
    assert http.delete(f"/api/projects/{PROJECT}/workflows/{workflow_id}").status_code == 200
    assert local_backend.state is not None
    db = local_backend.state.db
    assert db.get("workflow", copy_id) is None
    assert db.query("tool_binding", parent_id=copy_id) == []
    assert db.query("task", parent_id=copy_id) == []
    count = f"/api/organizations/{ORG}/tool-endpoints/{endpoint_id}/binding-count"
    assert http.get(count).json()["count"] == 0


def test_the_server_key_can_come_from_the_environment(tmp_path: Any) -> None:
    """Finding 12: ``PIPELINES_LOCAL_API_KEY`` gives the key without putting it on ``ps``."""
    key = "pk_env_secret_key_0042"
    env = {**os.environ, "PIPELINES_LOCAL_API_KEY": key}
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_pipelines.local.cli", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while "PIPELINES_API_KEY" not in lines and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            name, _, value = line.strip().partition("=")
            lines[name] = value
        assert lines.get("PIPELINES_API_KEY") == "****0042", lines
        assert key not in json.dumps(lines)
        base = lines["PIPELINES_BASE_URL"]
        ok = httpx.get(f"{base}/api/auth/me", headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200, ok.text
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert key not in err


# -- 13. the OpenAPI document and upload errors -------------------------------------------------


@pytest.mark.parametrize("path", ["/api/datasets/import/file", "/api/datasets/import/file/preview"])
def test_an_empty_upload_is_a_422_with_a_detail_list(http: httpx.Client, path: str) -> None:
    """Finding 13: the 422 of an empty file has FastAPI's shape (``detail`` is a list)."""
    answer = http.post(path, files={"file": ("empty.csv", b"", "text/csv")})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, list), detail
    assert detail[0]["loc"] == ["body", "file"]
    assert "no data rows" in detail[0]["msg"]


def test_an_unreadable_upload_is_a_422_with_a_detail_list(http: httpx.Client) -> None:
    """The same shape for a file that does not parse."""
    answer = http.post(
        "/api/datasets/import/file/preview",
        files={"file": ("rows.json", b"{not json", "application/json")},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "file"]


def test_the_openapi_document_declares_json_request_bodies(local_backend: LocalPipelines) -> None:
    """Finding 13: operations that read a JSON body declare it (its fields where modelled)."""
    doc = httpx.get(f"{local_backend.base_url}/_local/openapi.json", timeout=60).json()

    def body_of(path: str, method: str) -> dict[str, Any] | None:
        body = doc["paths"][path][method].get("requestBody")
        if body is None:
            return None
        schema = body["content"]["application/json"]["schema"]
        while "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return {**schema, "body_required": body["required"]}

    declared = [
        (path, method)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]
    assert len(declared) >= 60, declared
    prompt = body_of("/api/prompts", "post")
    assert prompt is not None
    assert prompt["body_required"] is True
    assert {"name", "prompt_text"} <= set(prompt["properties"])
    chaos = body_of("/_local/chaos", "put")
    assert chaos is not None
    assert chaos["body_required"] is False  # {} or no body turns chaos off
    assert chaos["properties"]["delay_ms"]["anyOf"][0]["maximum"] == 60_000
    upload = body_of("/api/projects/{project_id}/files/upload-url", "post")
    assert upload is not None
    assert upload["body_required"] is True
    assert upload["properties"]["filename"]["maxLength"] == 255
    # a JSON object where no model is written yet; no body where the route reads none
    patch = body_of("/api/prompts/{object_id}", "patch")
    assert patch is not None
    assert patch["type"] == "object"
    assert body_of("/_local/reset", "post") is None
    assert body_of("/api/projects/{project_id}/workflows/{workflow_id}/archive", "post") is None

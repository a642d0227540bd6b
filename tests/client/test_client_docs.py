"""The client docs: ```python blocks run, and the reference lists every public method."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from clienttest_helpers import API_KEY, Server, ok

from pytest_pipelines.client import PipelinesClient

DOCS = Path(__file__).parents[2] / "docs"
GUIDE = DOCS / "client.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def docs_server(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/api/auth/me":
        return ok({"email": "dev@example.com", "org_id": 2})
    if "page" in request.url.params:
        return ok({"items": [{"id": 1, "name": "first"}], "has_more": False})
    if path.endswith("/create-tasks-async"):
        return ok({"job_id": "job-1"})
    if "/create-tasks-status/" in path or path.startswith("/api/datasets/import/jobs/"):
        return ok({"job_id": "job-1", "status": "completed", "task_ids": [101]})
    if path.endswith("/experiments"):
        return ok({"experiment_id": "exp-1", "status": "queued"})
    if "/experiments/" in path:
        return ok(
            {
                "experiment_id": "exp-1",
                "status": "completed",
                "variants": [
                    {
                        "name": "baseline",
                        "workflow_id": 31,
                        "workflow_name": "copy",
                        "task_ids": [7],
                    }
                ],
            }
        )
    if path == "/api/datasets/import/file":
        return ok({"job_id": "imp-1"})
    if path.endswith("/export"):
        return httpx.Response(200, content=b"city,days\nRome,5\n")
    if path.endswith("/upload-url"):
        return ok({"upload_url": "https://storage.example/put", "file_id": "f-1"})
    if path == "/api/notifications":
        return httpx.Response(200, text='{"id": 1}\n{"id": 2}\n')
    return ok({"id": 1, "status": "ok"})


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_guide_examples_run(block: str, capsys: pytest.CaptureFixture[str]) -> None:
    server = Server()
    server.handler = docs_server
    client = PipelinesClient(
        api_key=API_KEY,
        base_url="https://api.test",
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
        sleep=lambda seconds: None,
    )
    namespace: dict[str, Any] = {"client": client}
    exec(compile(block, str(GUIDE), "exec"), namespace)
    out = capsys.readouterr().out
    if "PipelinesConfigError" in block:  # the pre-request check example sends nothing
        assert server.requests == []
        assert "config.pattern: Field required" in out
    else:
        assert server.requests
    assert API_KEY not in out


def test_guide_has_runnable_examples() -> None:
    assert len(BLOCKS) >= 8


def test_reference_lists_every_public_method() -> None:
    reference = (DOCS / "reference" / "client.md").read_text(encoding="utf-8")
    public = [
        n for n, m in inspect.getmembers(PipelinesClient) if not n.startswith("_") and callable(m)
    ]
    missing = [n for n in public if f"`{n}(" not in reference and f"`{n}`" not in reference]
    assert missing == []

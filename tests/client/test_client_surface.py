"""The whole surface: every route of routes.tsv and every seed method, on both clients."""

from __future__ import annotations

import csv
import inspect
import re
import subprocess
import sys
from typing import Any

import httpx
import pytest
from clienttest_helpers import TEST_DATA, Api, ok

from pytest_pipelines.client import AsyncPipelinesClient, PipelinesClient, _codegen

ROUTES = list(
    csv.DictReader(
        (TEST_DATA / "routes.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t"
    )
)
SEED_METHODS = [
    line.strip()
    for line in (TEST_DATA / "seed-methods.txt").read_text(encoding="utf-8").splitlines()
    if line.strip()
]

# Payloads the client validates before sending; everything else gets a plain dict.
PAYLOADS: dict[str, Any] = {
    "create_criterion": {
        "name": "Exact",
        "display_label": "Exact",
        "type": "programmatic",
        "config": {"subtype": "exact_match"},
        "output_schema": {"type": "boolean"},
    },
    "create_tasks": {"count": 1},
    "create_tasks_async": {"count": 1},
    "create_experiment": {"count": 1, "variants": [{"name": "baseline"}]},
}
EXTRA_KWARGS: dict[str, dict[str, Any]] = {"mark_notifications_read": {"notification_ids": [1]}}

# Seed methods that are not a row of routes.tsv but still send one request.
NON_ROUTE_REQUESTS = {
    "whoami": ("GET", "/api/auth/me", {}),
    "auth_status": ("GET", "/api/auth/me", {}),
    "delete_project_file": (
        "POST",
        "/api/projects/{project_id}/files/{file_id}/enqueue-gc",
        {"project_id": 3, "file_id": "f-9"},
    ),
    "list_endpoint_tools": (
        "GET",
        "/api/organizations/{org_id}/tool-endpoints/{endpoint_id}",
        {"org_id": 2, "endpoint_id": 5},
    ),
}


def arguments(name: str, path: str) -> tuple[dict[str, Any], str]:
    """Keyword arguments for one call, and the path the call must hit."""
    method = getattr(PipelinesClient, name)
    names = re.findall(r"{(\w+)}", path)
    values = {param: (f"id-{i}" if i % 2 else 100 + i) for i, param in enumerate(names)}
    kwargs: dict[str, Any] = {}
    for param in list(inspect.signature(method).parameters.values())[1:]:
        if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        if param.name in values:
            kwargs[param.name] = values[param.name]
        elif param.default is param.empty:
            if param.name == "payload":
                kwargs["payload"] = PAYLOADS.get(name, {"note": "x"})
            elif param.name == "file":
                kwargs["file"] = b"a,b\n1,2\n"
            else:  # pragma: no cover - a new required parameter needs a value here
                raise AssertionError(f"no test value for {name}({param.name})")
    kwargs.update(EXTRA_KWARGS.get(name, {}))
    expected = path
    for param, value in values.items():
        expected = expected.replace("{" + param + "}", str(value))
    return kwargs, expected


def page_handler(request: httpx.Request) -> httpx.Response:
    return ok({"id": 1, "items": [{"id": 1}], "has_more": False, "status": "completed"})


@pytest.mark.anyio
@pytest.mark.parametrize("row", ROUTES, ids=lambda r: r["sdk_method"])
async def test_every_route_hits_method_and_path(api: Api, row: dict[str, str]) -> None:
    api.server.handler = page_handler
    name = row["sdk_method"]
    kwargs, expected_path = arguments(name, row["path"])
    if row["response"] == "paginated":
        items = await api.collect(name, **kwargs)
        assert items == [{"id": 1}]
    else:
        await api.call(name, **kwargs)
    assert len(api.server.requests) == 1
    sent = api.server.last
    assert (sent.method, sent.path) == (row["method"], expected_path)
    assert sent.headers["authorization"] == "Bearer pk_live_s3cr3tKEYvalue"
    if row["response"] == "paginated":
        assert sent.params["page"] == "1"
    if row["method"] in {"POST", "PUT", "PATCH"} and row["response"] == "json":
        assert sent.headers["content-type"] == "application/json"
        assert isinstance(sent.json(), dict)  # never an absent body


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(NON_ROUTE_REQUESTS))
async def test_seed_methods_outside_routes_tsv(api: Api, name: str) -> None:
    method, template, params = NON_ROUTE_REQUESTS[name]
    api.server.handler = lambda request: ok(
        {"email": "a@b.c", "org_id": 2, "tools": [{"name": "t"}]}
    )
    result = await api.call(name, **params)
    path = template
    for key, value in params.items():
        path = path.replace("{" + key + "}", str(value))
    assert (api.server.last.method, api.server.last.path) == (method, path)
    if name == "auth_status":
        assert result == {
            "authenticated": True,
            "email": "a@b.c",
            "org_id": 2,
            "base_url": "https://api.test",
        }
    if name == "list_endpoint_tools":
        assert result == [{"name": "t"}]


def public_methods(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and callable(member)
    }


SYNC_TO_ASYNC = {"close": "aclose"}


def test_every_seed_method_exists_on_both_clients() -> None:
    sync, asynchronous = public_methods(PipelinesClient), public_methods(AsyncPipelinesClient)
    missing = [n for n in SEED_METHODS if n not in sync or n not in asynchronous]
    assert missing == []
    route_names = {row["sdk_method"] for row in ROUTES}
    assert route_names - set(sync) == set()


def test_parity_every_sync_method_has_an_async_twin_with_the_same_parameters() -> None:
    sync, asynchronous = public_methods(PipelinesClient), public_methods(AsyncPipelinesClient)
    assert {SYNC_TO_ASYNC.get(n, n) for n in sync} == set(asynchronous)
    for name, method in sync.items():
        twin = asynchronous[SYNC_TO_ASYNC.get(name, name)]
        sync_params = [
            (p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()
        ]
        async_params = [
            (p.name, p.kind, p.default) for p in inspect.signature(twin).parameters.values()
        ]
        assert sync_params == async_params, name
        if inspect.isgeneratorfunction(method):
            assert inspect.isasyncgenfunction(twin), name
        elif name.startswith("iter_") or name == "artifact_bundle_template":
            assert not inspect.iscoroutinefunction(twin), name
        else:
            assert inspect.iscoroutinefunction(twin), name


def test_generated_sync_client_is_up_to_date() -> None:
    expected = _codegen.generate(_codegen.SOURCE.read_text(encoding="utf-8"))
    assert _codegen.TARGET.read_text(encoding="utf-8") == expected, (
        "run: python -m pytest_pipelines.client._codegen"
    )


def test_codegen_check_flag_reports_drift(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "_sync_client.py"
    stale.write_text("# stale\n", encoding="utf-8")
    monkeypatch.setattr(_codegen, "TARGET", stale)
    assert _codegen.main(["--check"]) == 1
    assert _codegen.main([]) == 0
    assert _codegen.main(["--check"]) == 0


def test_codegen_rewrites_async_tokens() -> None:
    source = '"""doc"""\nasync def f(x: AsyncIterator[int]) -> None:\n    async for y in x:\n        await g(y)\n'
    out = _codegen.generate(source)
    assert "def f(x: Iterator[int]) -> None:\n    for y in x:\n        g(y)\n" in out
    assert "async" not in out.split('"""', 2)[2]


def test_client_package_does_not_import_pytest_or_fastapi() -> None:
    code = (
        "import sys; import pytest_pipelines.client; "
        "bad = [m for m in ('pytest', 'fastapi', 'pytest_pipelines.plugin') if m in sys.modules]; "
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

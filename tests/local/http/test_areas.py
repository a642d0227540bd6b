"""API areas built on first use (``_http/areas.py``): the lazy app routes every request as the
app with every router included does, builds only what a request may need, and answers a route
its path index missed; the index is current."""

from __future__ import annotations

import ast
import importlib
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local import _server as server_module
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http import app as app_module
from pytest_pipelines.local._http.area_index import (
    INDEX_FILE,
    INDEX_STALE,
    area_paths,
    render_index,
)
from pytest_pipelines.local._http.area_paths import PATHS
from pytest_pipelines.local._http.areas import BuildRest, LazyArea, template_regex

TASKS = "pytest_pipelines.local._http.routers.tasks"
TASK_EXPORT = "pytest_pipelines.local._http.routers.task_export"
IDENTITY = "pytest_pipelines.local._http.routers.identity"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def eager_app(state: BackendState) -> FastAPI:
    """The app as it was before areas were lazy: every router included at once."""
    app = app_module.create_app(state)
    app.router.routes[:] = [
        r for r in app.router.routes if not isinstance(r, (LazyArea, BuildRest))
    ]
    for name in app_module.ROUTERS:
        app.include_router(importlib.import_module(name).router)
    return app


def areas(local: LocalPipelines) -> list[LazyArea]:
    server = local._server
    assert server is not None
    app: FastAPI = server.config.app
    return [route for route in app.routes if isinstance(route, LazyArea)]


def built(local: LocalPipelines) -> list[str]:
    return [area.module for area in areas(local) if area.built]


def concrete(template: str) -> str:
    return re.sub(r"\{[^}:]+:path\}", "a/b", re.sub(r"\{[^}:]+\}", "1", template))


def probes() -> list[tuple[str, str]]:
    """Every method on a concrete path of every template, with and without a trailing slash,
    and paths no route serves."""
    paths = {concrete(t) for templates in PATHS.values() for t in templates}
    paths |= {p + "/" for p in paths}
    paths |= {"/", "/api", "/api/nope", "/api/projects/1/nope", "/_local/nope", "/api/prompts/x/y"}
    return [(method, path) for path in sorted(paths) for method in METHODS]


def answers(local: LocalPipelines, order: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """Status, routing headers and error body of each probe, sent without credentials."""
    out: dict[tuple[str, str], Any] = {}
    with httpx.Client(base_url=local.base_url, timeout=30) as http:
        for method, path in order:
            response = http.request(method, path)
            body = response.json() if response.status_code >= 400 else None
            out[(method, path)] = (
                response.status_code,
                response.headers.get("allow"),
                response.headers.get("location", "").replace(local.base_url, ""),
                body,
            )
    return out


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalPipelines]:
    """A backend whose app includes every router at start."""
    with monkeypatch.context() as patch:
        patch.setattr(server_module, "create_app", eager_app)
        local = LocalPipelines().start()
    try:
        yield local
    finally:
        local.stop()


def test_the_lazy_app_routes_every_request_as_the_eager_app(eager: LocalPipelines) -> None:
    order = probes()
    expected = answers(eager, order)
    assert {a[0] for a in expected.values()} >= {401, 404, 405, 307}  # the probes reach all
    shuffled = order[:]
    random.Random(12).shuffle(shuffled)  # first requests of every area in another order
    with LocalPipelines() as lazy:
        assert built(lazy) == []
        assert answers(lazy, shuffled) == expected


def test_a_request_builds_only_the_areas_its_path_may_belong_to() -> None:
    with LocalPipelines(demo=True) as local, local.client() as client:
        assert built(local) == []
        client.whoami()
        assert built(local) == [IDENTITY]
        client.request(
            "POST",
            "/api/projects/22/workflows/10/seeded-data/create-tasks-async",
            json={"count": 1},
        )
        assert built(local) == [IDENTITY, TASKS]
        client.export_tasks(22, 10, {"format": "json", "include_details": True})
        assert built(local) == [IDENTITY, TASKS, TASK_EXPORT]


# A fresh interpreter: which router modules does an eval test's run import? (This process has
# imported them all.)
RUN_IMPORTS = """
import sys, time
from pytest_pipelines.local import LocalPipelines
with LocalPipelines(demo=True) as local, local.client() as client:
    job = client.request(
        "POST", "/api/projects/22/workflows/10/seeded-data/create-tasks-async", json={"count": 1}
    )
    path = "/api/projects/22/workflows/10/seeded-data/create-tasks-status/" + job["job_id"]
    while client.request("GET", path)["status"] not in ("completed", "failed"):
        time.sleep(0.01)
    client.export_tasks(22, 10, {"format": "json", "include_details": True})
print(" ".join(sorted(m for m in sys.modules if m.startswith("pytest_pipelines.local._http.routers."))))
"""


def test_an_eval_run_imports_only_the_router_modules_it_uses() -> None:
    # Importing a router module builds its routes: a router importing another one for a
    # helper would build that area too, on a request that never reaches it.
    done = subprocess.run(
        [sys.executable, "-c", RUN_IMPORTS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [TASK_EXPORT, TASKS]


def test_no_router_module_imports_another() -> None:
    package = "pytest_pipelines.local._http.routers"
    for name in app_module.ROUTERS:
        source = importlib.import_module(name).__file__
        assert source is not None
        tree = ast.parse(Path(source).read_text(encoding="utf-8"))
        imported = {
            node.module or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 0
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert not {m for m in imported if m.startswith(package)}, name


def test_a_route_the_index_missed_is_still_served(monkeypatch: pytest.MonkeyPatch) -> None:
    stale = {**PATHS, TASKS: ()}  # as if every route of tasks had been added after the index
    monkeypatch.setattr(app_module, "PATHS", stale)
    with LocalPipelines(demo=True) as local, local.client() as client:
        job = client.request(
            "POST",
            "/api/projects/22/workflows/10/seeded-data/create-tasks-async",
            json={"count": 1},
        )
        assert job["job_id"]
        assert TASKS in built(local)
        assert len(built(local)) == len(app_module.ROUTERS)  # the fallback built the rest
        with httpx.Client(base_url=local.base_url) as http:
            assert http.get("/api/nope").status_code == 404


def test_openapi_lists_every_route_of_every_area() -> None:
    with LocalPipelines() as local:
        document = httpx.get(local.base_url + "/_local/openapi.json", timeout=60).json()
        assert len(built(local)) == len(app_module.ROUTERS)
    documented = {re.sub(r"\{[^}]+\}", "{}", p) for p in document["paths"]}
    served = {re.sub(r"\{[^}]+\}", "{}", t) for ts in PATHS.values() for t in ts}
    assert documented == served


def test_the_path_index_is_current() -> None:
    current = INDEX_FILE.read_text(encoding="utf-8")
    assert render_index(area_paths(app_module.ROUTERS)) == current, INDEX_STALE.format(
        path=INDEX_FILE
    )
    assert list(PATHS) == app_module.ROUTERS


@pytest.mark.parametrize(
    ("template", "path", "matched"),
    [
        ("/api/prompts/{prompt_id}", "/api/prompts/7", True),
        ("/api/prompts/{prompt_id}", "/api/prompts/7/", False),
        ("/api/prompts/{prompt_id}", "/api/prompts/", False),
        ("/_local/files/{key:path}", "/_local/files/a/b/c", True),
        ("/api/a.b", "/api/aXb", False),  # literal text is escaped
    ],
)
def test_template_regex(template: str, path: str, matched: bool) -> None:
    assert (template_regex([template]).match(path) is not None) is matched

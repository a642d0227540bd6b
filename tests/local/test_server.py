"""LocalPipelines itself: persistence across restarts, recovery, reset, seed, chaos, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from pytest_pipelines.client import PipelinesClient
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._engine.errors import APIError
from pytest_pipelines.local._engine.seed import KEY_EXISTS
from pytest_pipelines.local._http.app import CHAOS_429, CHAOS_503
from pytest_pipelines.local._http.routers.control import ADMIN_KEY_MISSING, ADMIN_KEY_WRONG
from pytest_pipelines.local._server import NOT_STARTED
from pytest_pipelines.local._store.db import Database
from pytest_pipelines.local._store.identity import ADMIN_KEY_PREFIX
from pytest_pipelines.local.models import default_registry


def raw(local: LocalPipelines, key: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=local.base_url,
        headers={"Authorization": f"Bearer {key or local.api_key}"},
        timeout=30,
    )


def test_restart_with_same_db_keeps_state(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    with LocalPipelines(db_path=db, api_key="pk_local_fixed") as first, first.client() as c:
        prompt = c.create_prompt({"name": "kept", "prompt_text": "hello"})
        project = c.create_project({"name": "kept project"})
    assert db.exists()
    with LocalPipelines(db_path=db, api_key="pk_local_fixed") as second, second.client() as c:
        assert c.request("GET", f"/api/prompts/{prompt['id']}")["prompt_text"] == "hello"
        assert c.get_project(project["id"])["name"] == "kept project"
        new = c.create_prompt({"name": "after", "prompt_text": "x"})
        assert new["id"] > project["id"]
    assert db.exists()


def test_temporary_db_is_removed_on_stop() -> None:
    local = LocalPipelines().start()
    assert local.state is not None
    path = Path(local.state.db.path)
    assert path.exists()
    local.stop()
    assert not path.exists()
    with pytest.raises(RuntimeError, match="not running"):
        _ = local.api_key
    assert NOT_STARTED.startswith("LocalPipelines is not running")


def test_stop_answers_a_request_in_flight_then_frees_the_port() -> None:
    local = LocalPipelines().start()
    server = local._server
    assert server is not None
    local.set_chaos(delay_rate=1.0, delay_ms=400)  # the request sleeps inside the server
    answers: list[int] = []
    with raw(local) as http:
        http.get("/_local/health")  # an idle keep-alive connection as well
        with raw(local) as busy:
            thread = threading.Thread(
                target=lambda: answers.append(busy.get("/api/prompts").status_code)
            )
            thread.start()
            deadline = time.monotonic() + 30
            while server.server_state.total_requests < 2 and time.monotonic() < deadline:
                time.sleep(0.005)
            local.stop()
            thread.join(timeout=30)
    assert answers == [200]
    assert local.state is None
    with pytest.raises(httpx.ConnectError), httpx.Client(base_url=local.base_url) as after:
        after.get("/_local/health")


def test_unfinished_tasks_resume_after_restart(tmp_path: Path) -> None:
    db = tmp_path / "resume.sqlite3"
    registry = default_registry()
    registry.register("slowish", lambda request: "done", latency=0.05)
    with (
        LocalPipelines(db_path=db, api_key="pk_local_fixed", registry=registry, workers=1) as first,
        first.client() as c,
    ):
        project = c.create_project({"name": "p"})
        wf = c.create_workflow(
            project["id"],
            {
                "name": "w",
                "definition": {
                    "nodes": [
                        {
                            "id": "n",
                            "fields": [
                                {"id": "a", "type": "llm", "prompt_text": "x", "model": "slowish"}
                            ],
                        }
                    ]
                },
            },
        )
        job = c.create_tasks_async(project["id"], wf["id"], {"count": 30})
    # stopped while most tasks were still queued
    store = Database(db)
    try:
        assert store.count("task", where={"status": "queued"}) > 0
        # a task a crashed process left running, with a node of its first attempt
        done = store.query("task", where={"status": "completed"})[0]
        assert store.count("node", parent_id=done["id"]) == 1
        store.patch("task", done["id"], {"status": "running"})
    finally:
        store.close()
    with (
        LocalPipelines(
            db_path=db, api_key="pk_local_fixed", registry=registry, workers=4
        ) as second,
        second.client() as c,
    ):
        final = c.wait_for_create_tasks(project["id"], wf["id"], job["job_id"], timeout=60)
        assert final["status"] == "completed"
        assert final["completed"] == 30
        rerun = c.get_task(project["id"], wf["id"], done["id"])
        assert rerun["status"] == "completed"
        assert [n["node_id"] for n in rerun["nodes"]] == ["n"]


def test_reset_and_seed_endpoints() -> None:
    with (
        LocalPipelines(demo=True) as local,
        raw(local) as http,
        raw(local, local.admin_key) as admin,
    ):
        http.post("/api/prompts", json={"name": "temp", "prompt_text": "x"}).raise_for_status()
        assert http.get("/api/prompts", params={"name": "temp"}).json()["total"] == 1
        assert admin.post("/_local/reset").json() == {"status": "reset"}
        assert http.get("/api/prompts", params={"name": "temp"}).json()["total"] == 0
        assert http.get("/api/projects/22/workflows/10").json()["name"] == "Italy"
        seeded = admin.post(
            "/_local/seed", json={"prompts": [{"name": "seeded", "prompt_text": "s"}]}
        ).json()
        assert len(seeded["created"]["prompts"]) == 1
        bad = admin.post("/_local/seed", json={"bananas": []})
        assert bad.status_code == 422
        assert "valid sections" in bad.json()["detail"][0]["msg"]
        missing = httpx.post(local.base_url + "/_local/reset")
        assert (missing.status_code, missing.json()["detail"]) == (401, ADMIN_KEY_MISSING)


def test_seed_file_applies_on_new_database(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "api_keys": [{"key": "pk_local_seeded", "org_id": 2}],
                "prompts": [{"name": "from file", "prompt_text": "hi"}],
            }
        )
    )
    with LocalPipelines(seeds=[seed]) as local, local.client(api_key="pk_local_seeded") as c:
        assert [p["name"] for p in c.list_prompts()["items"]] == ["from file"]


def test_chaos_switch_answers_429_503_and_delays() -> None:
    with LocalPipelines() as local, raw(local) as http, raw(local, local.admin_key) as admin:
        assert (
            admin.put("/_local/chaos", json={"rate_429": 1.0, "retry_after": 7}).status_code == 200
        )
        limited = http.get("/api/prompts")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "7"
        assert limited.json() == {"detail": CHAOS_429.format(seconds=7)}
        assert http.get("/_local/health").status_code == 200  # control endpoints are exempt
        admin.put("/_local/chaos", json={"rate_503": 1.0})
        assert http.get("/api/prompts").json() == {"detail": CHAOS_503}
        admin.put("/_local/chaos", json={"rate_429": 0.5, "seed": 42})
        codes = {http.get("/api/prompts").status_code for _ in range(40)}
        assert codes == {200, 429}
        admin.put("/_local/chaos", json={"delay_rate": 1.0, "delay_ms": 150})
        assert http.get("/api/prompts").elapsed.total_seconds() >= 0.15
        bad = admin.put("/_local/chaos", json={"rate_429": 2, "explode": True})
        assert bad.status_code == 422
        assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {
            ("body", "rate_429"),
            ("body", "explode"),
        }
        admin.put("/_local/chaos", json={})
        assert http.get("/api/prompts").status_code == 200


def test_client_retries_through_chaos() -> None:
    with LocalPipelines() as local:
        local.set_chaos(rate_503=0.5, seed=3)
        with local.client(max_retries=8, sleep=lambda s: None) as c:
            for _ in range(10):
                assert c.list_prompts()["items"] == []


def test_cli_serves_demo_and_prints_url_and_keys(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pytest_pipelines.local.cli",
        "serve",
        "--demo",
        "--db",
        str(tmp_path / "cli.sqlite3"),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        assert proc.stdout is not None
        try:
            lines = [proc.stdout.readline().strip() for _ in range(6)]
            values = dict(line.split("=", 1) for line in lines[1:])
            assert lines[0].startswith("pipelines-local ")
            assert values["PIPELINES_API_KEY_FULL"] == "pk_local_demo"
            assert values["PIPELINES_API_KEY_PROMPTS_ONLY"] == "pk_local_prompts_only"
            with PipelinesClient(
                api_key="pk_local_demo", base_url=values["PIPELINES_BASE_URL"]
            ) as c:
                assert c.whoami()["email"] == "demo@pipelines.local"
            admin_key = values["PIPELINES_ADMIN_KEY"]
            assert admin_key.startswith(ADMIN_KEY_PREFIX)
            assert len(admin_key) > len(ADMIN_KEY_PREFIX) + 16
            chaos = values["PIPELINES_BASE_URL"] + "/_local/chaos"
            assert httpx.get(chaos, headers={"Authorization": f"Bearer {admin_key}"}).is_success
        finally:
            proc.terminate()
        assert proc.wait(20) == 0


def test_control_endpoints_need_the_admin_key_not_an_org_key() -> None:
    """Issue 11 finding 2: any organization's full-access key could reset every organization,
    mint keys for another one through /_local/seed, and switch chaos on for everyone."""
    other_org_key = "pk_local_org3_full"
    with LocalPipelines(demo=True) as local:
        local.seed(
            {
                "organizations": [{"id": 3, "name": "Other"}],
                "api_keys": [{"key": other_org_key, "org_id": 3, "scopes": ["*"]}],
            }
        )
        mint = {"api_keys": [{"key": "pk_local_minted", "org_id": 2, "scopes": ["*"]}]}
        for key in (other_org_key, local.api_key, "pk_local_prompts_only"):
            with raw(local, key) as http:
                for method, path, body in (
                    ("POST", "/_local/reset", None),
                    ("POST", "/_local/seed", mint),
                    ("GET", "/_local/chaos", None),
                    ("PUT", "/_local/chaos", {"rate_503": 1.0}),
                ):
                    answer = http.request(method, path, json=body)
                    assert (answer.status_code, answer.json()["detail"]) == (403, ADMIN_KEY_WRONG)
        with raw(local) as http:
            assert http.get("/api/projects/22/workflows/10").status_code == 200  # no reset
            assert http.get("/api/prompts").status_code == 200  # no chaos
        with raw(local, "pk_local_minted") as http:
            assert http.get("/api/prompts").status_code == 401  # nothing minted
        with raw(local, local.admin_key) as admin:
            assert admin.get("/_local/chaos").json()["rate_503"] == 0
            # the admin key is no organization's key
            assert admin.get("/api/prompts").status_code == 401


def test_a_seed_never_replaces_an_existing_key() -> None:
    with LocalPipelines(demo=True) as local, raw(local, local.admin_key) as admin:
        admin.post("/_local/seed", json={"organizations": [{"id": 3, "name": "Other"}]})
        repoint = {"api_keys": [{"key": str(local.api_key), "org_id": 3, "name": "stolen"}]}
        answer = admin.post("/_local/seed", json=repoint)
        assert answer.status_code == 409
        assert answer.json()["detail"] == KEY_EXISTS.format(index=0, name="stolen")
        assert str(local.api_key) not in answer.text
        with pytest.raises(APIError) as info:
            local.seed(repoint)
        assert info.value.status_code == 409
        with local.client() as client:
            assert client.whoami()["org_id"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--models", "no_such_module_xyz:models"], "no_such_module_xyz:models"),
        (["serve", "--seed", "/nonexistent/seed.json"], "/nonexistent/seed.json"),
    ],
)
def test_cli_start_errors_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_pipelines.local.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pipelines-local: error: ")
    assert message in err

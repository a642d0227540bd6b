"""The session ledger: what was created and not deleted is swept, by id, and nothing else is asked."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from pytest_pipelines._ledger import Ledger, pending


def args_for(local: Any) -> list[str]:
    return [
        f"--pipelines-env={local.base_url}",
        f"--pipelines-api-key={local.api_key}",
        "-p",
        "no:cacheprovider",
        "-s",  # the debug log of requests goes to the real stderr
    ]


def test_pending_is_what_was_not_deleted(tmp_path: Path) -> None:
    main, worker = Ledger(str(tmp_path), "main"), Ledger(str(tmp_path), "gw0")
    gone = main.intend("prompt", name="pytest-x-main-1-p")
    main.created(gone, 7)
    main.deleted(gone)
    kept = worker.intend("criterion", name="pytest-x-gw0-1-c")
    worker.created(kept, 8)
    worker.intend("prompt", name="pytest-x-gw0-2-p")  # the create's answer never came
    with (tmp_path / "gw1-1.jsonl").open("w") as f:
        f.write('{"key": "1-1", "event": "intent", "kind": "pro')  # cut short by a crash
    assert pending(str(tmp_path)) == [
        {"kind": "criterion", "name": "pytest-x-gw0-1-c", "id": 8},
        {"kind": "prompt", "name": "pytest-x-gw0-2-p"},
    ]
    assert pending(None) == []
    assert Ledger(None, "main").path is None


def test_a_ledger_whose_directory_went_makes_it_again(tmp_path: Path) -> None:
    directory = tmp_path / "ledger"
    directory.mkdir()
    ledger = Ledger(str(directory), "gw0")
    directory.rmdir()  # e.g. a /tmp cleaner, mid-session
    key = ledger.intend("prompt", name="pytest-x-gw0-1-p")
    ledger.created(key, 3)
    assert pending(str(directory)) == [{"kind": "prompt", "name": "pytest-x-gw0-1-p", "id": 3}]


def test_a_session_that_cleaned_up_makes_no_sweep_request(
    pytester: pytest.Pytester, fresh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_DEBUG", "1")
    pytester.makepyfile(
        """
def test_prompt(pipelines_prompt):
    pipelines_prompt("Plan a day in Rome.")
"""
    )
    result = pytester.runpytest(*args_for(fresh))
    result.assert_outcomes(passed=1)
    log = result.stderr.str()
    assert "DELETE /api/prompts/" in log  # teardown deleted it ...
    # ... so the end of the session asked nothing: no identity, no listing
    assert "GET /api/auth/me" not in log.split("DELETE /api/prompts/")[1]
    assert "GET /api/projects" not in log
    assert "GET /api/prompts" not in log
    assert "swept" not in result.stdout.str()


def test_a_crashed_worker_is_swept_by_id(
    pytester: pytest.Pytester, fresh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_DEBUG", "1")
    pytester.makepyfile(
        """
import os

def test_crash(pipelines_prompt, pipelines_criterion):
    pipelines_prompt("Plan a day in Rome.")
    pipelines_criterion("C", config={"subtype": "contains_keywords", "keywords": ["Rome"]})
    os._exit(1)

def test_ok():
    pass
"""
    )
    result = pytester.runpytest_subprocess(*args_for(fresh), "-n", "2")
    result.stdout.fnmatch_lines(
        ["*crashed*", "pipelines: swept 2 object(s) left by this run: criterion *, prompt *"]
    )
    log = result.stderr.str()  # the controller's requests (the sweep)
    assert "DELETE /api/criteria/" in log
    assert "DELETE /api/prompts/" in log
    for listing in ("GET /api/projects", "GET /api/prompts", "GET /api/criteria"):
        assert listing not in log
    with fresh.client() as client:
        assert [p for p in client.iter_prompts() if p["name"].startswith("pytest-")] == []


def test_a_create_whose_answer_was_lost_is_found_by_name(
    pytester: pytest.Pytester, fresh: Any
) -> None:
    pytester.makepyfile(
        """
import os
from pytest_pipelines._session import STATE_KEY

def test_crash(request, pipelines_client):
    state = request.config.stash[STATE_KEY]
    name = state.unique_name("lost")
    state.ledger.intend("prompt", name=name)
    # the create reaches the backend, the worker dies before it records the id
    pipelines_client.create_prompt(
        {"name": name, "prompt_text": "x", "scope_type": "org", "org_id": 2}
    )
    os._exit(1)

def test_ok():
    pass
"""
    )
    result = pytester.runpytest_subprocess(*args_for(fresh), "-n", "2")
    result.stdout.fnmatch_lines(
        ["*crashed*", "pipelines: swept 1 object(s) left by this run: prompt * 'pytest-*-lost'"]
    )
    with fresh.client() as client:
        assert [p for p in client.iter_prompts() if p["name"].startswith("pytest-")] == []


def test_a_retried_create_leaves_its_name_for_the_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from pytest_pipelines import _retry
    from pytest_pipelines._fixtures import _create_recorded
    from pytest_pipelines.client import PipelinesClient

    monkeypatch.setattr(_retry, "pause", lambda seconds: None)
    # the first create is stored but answered 503, and the lookup does not see it yet: the
    # retry makes a second prompt, which the test uses (and its teardown deletes)
    answers = [
        httpx.Response(503, json={"detail": "busy"}),
        httpx.Response(200, json={"id": 12, "name": "pytest-x-main-1-p"}),
    ]
    http = httpx.Client(transport=httpx.MockTransport(lambda request: answers.pop(0)))
    ledger = Ledger(str(tmp_path), "main")
    state: Any = type("State", (), {"ledger": ledger})()
    with PipelinesClient(api_key="pk_test", base_url="http://test", http_client=http) as client:
        prompt, key = _create_recorded(
            state,
            "prompt",
            {"name": "pytest-x-main-1-p"},
            client,
            lambda: client.create_prompt({"name": "pytest-x-main-1-p"}),
            lambda: None,  # the lookup finds nothing yet
        )
    assert prompt["id"] == 12
    ledger.deleted(key)
    # the first prompt may exist under the same name: the sweep looks it up by name
    assert pending(str(tmp_path)) == [{"kind": "prompt", "name": "pytest-x-main-1-p"}]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="a-session"),
        pytest.param(["--markers"], id="markers"),
        pytest.param(["--help"], id="help"),
        pytest.param(["--fixtures"], id="fixtures"),
        pytest.param(["-p", "conftest_that_fails"], id="another-plugin-fails-to-configure"),
        pytest.param(["-o", "pipelines_max_concurrent_runs=lots"], id="a-usage-error"),
        pytest.param(["--pipelines-baseline-strict"], id="a-baseline-usage-error"),
    ],
)
def test_no_ledger_directory_is_left_behind(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """The controller's ledger directory goes however the process ends: after a session, and
    after --markers/--help (no session at all) or another plugin's failing configure."""
    scratch = pytester.mkdir("scratch")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    pytester.makepyfile(
        conftest_that_fails="""
def pytest_configure(config):
    raise RuntimeError("this plugin cannot configure")
""",
        test_plain="def test_plain():\n    pass\n",
    )
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess(*args)
    expected = {
        "-p": pytest.ExitCode.INTERNAL_ERROR,
        "-o": pytest.ExitCode.USAGE_ERROR,
        "--pipelines-baseline-strict": pytest.ExitCode.USAGE_ERROR,
    }
    assert result.ret == expected.get(args[0] if args else "", pytest.ExitCode.OK)
    assert sorted(p.name for p in scratch.iterdir()) == []

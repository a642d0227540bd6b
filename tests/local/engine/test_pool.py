"""The job pool: by default 32 tasks run at once, a given size bounds it, bad sizes are refused."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from pytest_pipelines import _settings
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._engine.jobs import (
    BAD_WORKERS,
    DEFAULT_WORKERS,
    MAX_WORKERS,
    check_workers,
)
from pytest_pipelines.local.models import ModelRequest

ANSWER = "Day 1: Rome."


def one_node(model: str) -> dict[str, Any]:
    return {
        "name": "pool",
        "definition": {
            "nodes": [
                {
                    "id": "n",
                    "fields": [
                        {"id": "city", "type": "input", "default": "Rome"},
                        {"id": "answer", "type": "llm", "prompt_text": "{{city}}", "model": model},
                    ],
                }
            ]
        },
    }


def run(local: LocalPipelines, model: str, count: int) -> dict[str, Any]:
    with local.client() as client:
        project = client.create_project({"name": "pool"})
        workflow = client.create_workflow(project["id"], one_node(model))
        return dict(client.create_tasks(project["id"], workflow["id"], {"count": count}))


def test_the_default_pool_runs_32_tasks_at_once() -> None:
    # every task waits at the barrier until 32 are inside the model at the same time: a smaller
    # pool breaks it (after the timeout) and the tasks fail
    barrier = threading.Barrier(DEFAULT_WORKERS, timeout=20)

    def together(request: ModelRequest) -> str:
        barrier.wait()
        return ANSWER

    with LocalPipelines() as local:
        assert local.state is not None
        assert local.workers == local.state.engine.workers == DEFAULT_WORKERS == 32
        local.registry.register("together", together)
        result = run(local, "together", DEFAULT_WORKERS)
    assert result["status"] == "completed", [t["error"] for t in result["tasks"]]


def test_a_pool_of_n_runs_at_most_n_tasks_at_once() -> None:
    lock = threading.Lock()
    now = [0, 0]  # tasks inside the model, the most at once

    def counted(request: ModelRequest) -> str:
        with lock:
            now[0] += 1
            now[1] = max(now)
        time.sleep(0.1)
        with lock:
            now[0] -= 1
        return ANSWER

    with LocalPipelines(workers=3) as local:
        local.registry.register("counted", counted)
        result = run(local, "counted", 9)
    assert result["status"] == "completed"
    assert now == [0, 3]


@pytest.mark.parametrize("value", [0, -1, MAX_WORKERS + 1, "many", "2.5", True, None])
def test_a_bad_pool_size_is_refused_naming_the_range(value: Any) -> None:
    message = BAD_WORKERS.format(value=value, max=MAX_WORKERS, default=DEFAULT_WORKERS)
    with pytest.raises(ValueError) as caught:
        LocalPipelines(workers=value)
    assert str(caught.value) == message
    assert "from 1 to 1024" in message
    assert "pipelines_local_workers" in message


@pytest.mark.parametrize(("value", "size"), [(1, 1), ("4", 4), (" 16 ", 16), (MAX_WORKERS, 1024)])
def test_a_pool_size_may_be_given_as_text(value: object, size: int) -> None:
    assert check_workers(value) == size


def test_the_cli_refuses_a_bad_pool_size(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_pipelines.local.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["serve", "--workers", "0"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "argument --workers: workers is '0'" in err
    assert "from 1 to 1024" in err


def test_the_plugin_and_the_backend_agree_on_the_pool_bounds() -> None:
    # the plugin's settings may not import the backend (pytest imports them in every run)
    assert _settings.DEFAULT_LOCAL_WORKERS == DEFAULT_WORKERS
    assert _settings.MAX_LOCAL_WORKERS == MAX_WORKERS

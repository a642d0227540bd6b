"""The run's timeout covers collecting results in every kind of run, experiments included."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pipelines._collect import COLLECT_TIMED_OUT
from pytest_pipelines._markers import RunSpec, WorkflowTarget
from pytest_pipelines._run import Launch, RunBroken, delete_experiment_copies, execute_variants

if TYPE_CHECKING:
    from pytest_pipelines.client import PipelinesClient


class StuckReads:
    """The backend's client, except that its task export carries no details and task reads hang
    until released (a deployment that stops answering while results are collected)."""

    def __init__(self, client: Any, release: threading.Event) -> None:
        self.client = client
        self.release = release
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def export_tasks(self, *args: Any) -> Any:
        response = dict(self.client.export_tasks(*args))
        response.pop("details", None)
        return response

    def get_task(self, *args: Any) -> Any:
        self.reads += 1
        self.release.wait()
        return self.client.get_task(*args)


def test_variants_collecting_is_bounded_by_the_run_timeout(
    backend_client: PipelinesClient,
) -> None:
    release = threading.Event()
    # without the deadline the gather would wait for this (and then pass): the test fails
    unblock = threading.Timer(8.0, release.set)
    unblock.start()
    proxy = StuckReads(backend_client, release)
    target = WorkflowTarget(22, 10, mode="experiment")
    specs = {name: RunSpec(target=target, variant=name) for name in ("a", "b")}
    names = {"a": "pytest-deadline-a", "b": "pytest-deadline-b"}
    launched: list[Launch] = []
    began = time.monotonic()
    try:
        with pytest.raises(RunBroken) as info:
            execute_variants(
                proxy,
                specs,
                names=names,
                resolve_fixture={}.__getitem__,
                key=lambda payload: f"pytest-deadline-{time.time_ns()}",
                timeout=2.0,
                on_launch=launched.append,
            )
    finally:
        release.set()
        unblock.cancel()
        for one in launched:  # the experiment's copies are not left on the shared backend
            delete_experiment_copies(backend_client, specs["a"], one)
    took = time.monotonic() - began
    # the first variant's collection hit the deadline, one timeout after the launch
    copy = info.value.args[0].split()[5]  # the variant's copy of workflow 10
    assert str(info.value) == COLLECT_TIMED_OUT.format(workflow=copy, done=0, total=1)
    assert 1.5 < took < 6.0, took
    assert proxy.reads >= 1

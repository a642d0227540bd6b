"""Real models through the plugin: one option swaps a provider model in, record once, then the
same suite replays from the cache with no options and no server; a replay miss is a test error
naming the call; RunResult and the session summary carry tokens, cost and replays.

The inner runs are in-process. This module imports ``pytest_pipelines.local`` (for the fake
server), so they share that package object with the outer process while pytester drops and
re-imports its submodules between runs; since the packages' lazy attributes resolve through
``sys.modules`` each time (tests/plugin/test_inprocess_local.py), that is safe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pytest_pipelines.local._demo.fake_provider import FakeProvider

pytest_plugins = ["pytester"]

INI = "[pytest]\npipelines_env = local\npipelines_demo = true\npipelines_default_gate = none\n"

SUITE = """
import json
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=2)


def test_plan(pipelines_run):
    outputs = [t.output("plan", "itinerary") for t in pipelines_run.tasks]
    print("RESULT=" + json.dumps({"outputs": outputs, "usage": pipelines_run.usage.as_dict()}))
"""

MISS = """
import pytest


@pytest.mark.pipelines_workflow(22, 10, count=1, inputs=[{"city": "Oslo", "days": 2}])
def test_new_inputs(pipelines_run):
    pass
"""


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider(models=("fake-model",)) as server:
        yield server


def result_of(run: pytest.RunResult) -> dict[str, object]:
    line = next(x for x in run.outlines if "RESULT=" in x)
    data: dict[str, object] = json.loads(line.split("RESULT=", 1)[1].rstrip("."))
    return data


def test_record_with_two_options_then_replay_with_none(
    pytester: pytest.Pytester, fake: FakeProvider
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_suite=SUITE)
    spec = (
        f"openai-compatible:fake-model,as=demo-planner,base_url={fake.base_url}/v1,"
        "input_price=1,output_price=2"
    )
    live = pytester.runpytest("-s", f"--pipelines-model={spec}", "--pipelines-cache=record")
    live.assert_outcomes(passed=1)
    recorded = result_of(live)
    outputs = recorded["outputs"]
    assert isinstance(outputs, list)
    assert all(o.startswith("answer #") for o in outputs)
    usage = recorded["usage"]
    assert isinstance(usage, dict)
    assert usage["cost_usd"] > 0
    assert usage["by_model"]["demo-planner"]["calls"] == 2
    assert usage["replayed_calls"] == 0
    live.stdout.fnmatch_lines(["pipelines model usage: * model call(s), *cost $0.0*"])
    assert (pytester.path / ".pipelines-cache" / "models.json").is_file()

    fake.stop()
    replay = pytester.runpytest("-s")
    replay.assert_outcomes(passed=1)
    replayed = result_of(replay)
    assert replayed["outputs"] == outputs
    assert replayed["usage"]["replayed_calls"] == 2  # type: ignore[index]
    replay.stdout.fnmatch_lines(
        [
            "pipelines: mode=local * model_cache=replay:*.pipelines-cache",
            "pipelines model usage: *, 2 replayed from the cache",
        ]
    )

    pytester.makepyfile(test_miss=MISS)
    missed = pytester.runpytest("test_miss.py")
    missed.assert_outcomes(errors=1)
    missed.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_new_inputs*",
            "*replay: no recorded answer for this call of model 'demo-planner'*",
        ]
    )

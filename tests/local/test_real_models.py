"""Provider models in real runs: the demo workflow with its planner, researcher and judge served
by a fake OpenAI- or Anthropic-protocol server over HTTP; usage on the task detail and in the
LLM analytics; repeats; record and replay through the backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._demo.fake_provider import FakeProvider


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider(models=("fake-model",)) as server:
        yield server


def node(detail: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in detail["nodes"] if n["node_id"] == node_id)


def specs(fake: FakeProvider, protocol: str = "openai") -> list[str]:
    if protocol == "openai":
        base = f"openai-compatible:fake-model,base_url={fake.base_url}/v1"
    else:
        base = f"anthropic:fake-model,base_url={fake.base_url},key_env=FAKE_ANTHROPIC_KEY"
    return [
        f"{base},as=demo-planner,input_price=1,output_price=2",
        f"{base},as=demo-researcher",
    ]


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_run_on_provider_models_records_tools_and_usage(
    fake: FakeProvider, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", "sk-ant-fake")
    with LocalPipelines(demo=True, models=specs(fake, protocol)) as local, local.client() as client:
        result = client.create_tasks(22, 10, {"count": 4})
        assert result["status"] == "completed"
        details = [client.get_task(22, 10, t) for t in result["task_ids"]]
        analytics = client.get_workflow_llm_analytics(project_id=22, workflow_id=10)
    first = details[0]
    plan, research, review = (node(first, n) for n in ("plan", "research", "review"))
    assert plan["outputs"]["itinerary"].startswith("answer #")
    field_usage = plan["fields"][0]["usage"]
    assert field_usage["calls"] == 1
    assert field_usage["tokens_estimated"] is False
    assert field_usage["input_tokens"] > 0
    assert field_usage["cost_usd"] == pytest.approx(
        (field_usage["input_tokens"] * 1 + field_usage["output_tokens"] * 2) / 1e6
    )
    # the researcher asked for search_docs through the wire, the tool ran, the result went back
    assert [c["tool_name"] for c in research["tool_calls"]] == ["search_docs"]
    assert research["tool_calls"][0]["input"]["query"].startswith("Research Rome")
    assert research["fields"][0]["usage"]["calls"] == 2
    assert research["outputs"]["notes"].startswith("answer #")
    # the judge is still the demo program: tokens estimated, cost unknown (not $0)
    judge = next(r for r in review["evaluation_results"] if r["criterion_type"] == "llm_judge")
    assert judge["usage"]["tokens_estimated"] is True
    assert judge["usage"]["cost_usd"] is None
    usage = first["usage"]
    assert set(usage["by_model"]) == {"demo-planner", "demo-researcher", "demo-judge"}
    assert usage["calls"] == 3 + usage["by_model"]["demo-judge"]["calls"]
    assert usage["cost_usd"] == pytest.approx(field_usage["cost_usd"])
    assert usage["unpriced_calls"] == usage["calls"] - 1
    # two seed rows round-robin: tasks 0 and 2 share inputs, so they are repeats 0 and 1
    assert [d["repeat"] for d in details] == [0, 0, 1, 1]
    planner = next(m for m in analytics["models"] if m["model"] == "demo-planner")
    assert planner["usage"]["calls"] == 4
    assert planner["usage"]["cost_usd"] == pytest.approx(
        sum(d["usage"]["by_model"]["demo-planner"]["cost_usd"] for d in details)
    )
    assert analytics["usage"]["calls"] == sum(d["usage"]["calls"] for d in details)


def test_record_then_replay_through_the_backend(fake: FakeProvider, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with (
        LocalPipelines(
            demo=True, models=specs(fake), cache_mode="record", cache_dir=cache
        ) as local,
        local.client() as client,
    ):
        recorded = client.create_tasks(22, 10, {"count": 2})
        outputs = [
            node(client.get_task(22, 10, t), "plan")["outputs"]["itinerary"]
            for t in recorded["task_ids"]
        ]
    fake.stop()
    # no model options: replay registers the recorded models itself, and nothing is live
    with (
        LocalPipelines(demo=True, cache_mode="replay", cache_dir=cache) as local,
        local.client() as client,
    ):
        replayed = client.create_tasks(22, 10, {"count": 2})
        details = [client.get_task(22, 10, t) for t in replayed["task_ids"]]
        missed = client.create_tasks(22, 10, {"count": 1, "inputs": [{"city": "Oslo", "days": 2}]})
        failed = client.get_task(22, 10, missed["task_ids"][0])
    assert [node(d, "plan")["outputs"]["itinerary"] for d in details] == outputs
    assert all(d["usage"]["by_model"]["demo-planner"]["replayed_calls"] == 1 for d in details)
    assert details[0]["usage"]["by_model"]["demo-planner"]["cost_usd"] is not None
    assert failed["status"] == "failed"
    assert "replay: no recorded answer for this call of model 'demo-planner'" in failed["error"]
    assert f"in task {failed['id']} of {failed['job_id']}" in failed["error"]


def test_a_price_for_an_unknown_slug_stops_the_start() -> None:
    with pytest.raises(
        ValueError, match=r"pipelines_prices: .*no model is registered for slug 'gtp-4'"
    ):
        LocalPipelines(demo=True, prices={"gtp-4": (1.0, 2.0)})


def test_cli_names_the_missing_key_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_pipelines.local.cli import main

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["serve", "--models", "openai:gpt-4.1-mini", "--cache", "use"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "pipelines-local: error: model 'openai:gpt-4.1-mini' needs an API key: set the "
        "environment variable OPENAI_API_KEY (or name another variable with key_env=NAME in the "
        "model spec)\n"
    )

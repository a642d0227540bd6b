"""Artifact bundles and the payload checks that run before any request."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from clienttest_helpers import Api, ok

from pytest_pipelines.client import (
    BUNDLE_ARTIFACT_TYPE,
    BooleanOutput,
    ContainsKeywordsConfig,
    CriterionDefinition,
    PipelinesConfigError,
    artifact_bundle_template,
    bundle_errors,
)

pytestmark = pytest.mark.anyio

KINDS = [
    "prompts",
    "criteria",
    "evaluations",
    "tool-endpoints",
    "tool-bindings",
    "tool-ground-truths",
    "experiments",
]
SECTIONS = [
    "prompts",
    "criteria",
    "evaluations",
    "tool_endpoints",
    "tool_bindings",
    "tool_ground_truths",
    "experiments",
]


def counter_handler() -> Any:
    counter = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        counter["n"] += 1
        if request.url.path.endswith("/experiments"):
            return ok({"experiment_id": f"exp-{counter['n']}", "status": "queued"})
        return ok({"id": counter["n"]})

    return handler


@pytest.mark.parametrize("kind", KINDS)
def test_templates_are_valid_and_focused(kind: str) -> None:
    bundle = artifact_bundle_template(kind)
    assert bundle["artifact_type"] == BUNDLE_ARTIFACT_TYPE
    assert bundle_errors(bundle) == []
    filled = [s for s in SECTIONS if bundle[s]]
    assert filled == [kind.replace("-", "_")]


def test_template_unknown_kind() -> None:
    with pytest.raises(
        PipelinesConfigError, match="unknown bundle kind 'widgets'; use one of: prompts"
    ):
        artifact_bundle_template("widgets")


def test_templates_are_fresh_copies() -> None:
    first = artifact_bundle_template("criteria")
    first["criteria"][0]["config"]["keywords"].append("mutated")
    assert (
        "mutated" not in artifact_bundle_template("criteria")["criteria"][0]["config"]["keywords"]
    )


def full_bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = {"artifact_type": BUNDLE_ARTIFACT_TYPE, "name": "everything"}
    for kind, section in zip(KINDS, SECTIONS, strict=True):
        bundle[section] = artifact_bundle_template(kind)[section]
    return bundle


async def test_push_order_summary_and_experiment_keys(api: Api) -> None:
    api.server.handler = counter_handler()
    bundle = full_bundle()
    # Put the sections in reverse order in the dict: the push order must not depend on it.
    bundle = {k: bundle[k] for k in reversed(list(bundle))}
    summary = await api.call("push_artifact_bundle", bundle, idempotency_key_prefix="rome-demo")
    paths = [(r.method, r.path) for r in api.server.requests]
    assert paths == [
        ("POST", "/api/prompts"),
        ("POST", "/api/criteria"),
        ("POST", "/api/evaluations"),
        ("POST", "/api/organizations/2/tool-endpoints"),
        ("POST", "/api/workflows/10/tool-bindings"),
        ("POST", "/api/workflows/10/tool-ground-truths"),
        ("POST", "/api/projects/22/workflows/10/experiments"),
    ]
    assert summary == {
        "artifact_type": BUNDLE_ARTIFACT_TYPE,
        "name": "everything",
        "created": {
            "prompts": [{"name": "Concise prompt", "id": 1}],
            "criteria": [{"name": "Mentions the key facts", "id": 2}],
            "evaluations": [{"name": "Quality evaluation", "id": 3}],
            "tool_endpoints": [{"name": "Docs MCP endpoint", "id": 4}],
            "tool_bindings": [
                {
                    "name": "node-id-from-configurable-fields.field-id-from-configurable-fields",
                    "id": 5,
                }
            ],
            "tool_ground_truths": [
                {
                    "name": "node-id-from-configurable-fields.field-id-from-configurable-fields",
                    "id": 6,
                }
            ],
            "experiments": [{"name": "baseline-vs-new-prompt", "experiment_id": "exp-7"}],
        },
    }
    experiment = api.server.requests[-1]
    assert experiment.headers["idempotency-key"] == "rome-demo-baseline-vs-new-prompt"
    assert experiment.json() == bundle["experiments"][0]["payload"]
    for request in api.server.requests[:-1]:
        assert "idempotency-key" not in request.headers
    binding = api.server.requests[4].json()
    assert "workflow_id" not in binding
    assert binding["selected_tools"] == ["search_docs"]
    assert "workflow_id" not in api.server.requests[5].json()


async def test_push_guide_prompt_bundle(api: Api) -> None:
    api.server.handler = counter_handler()
    bundle = {
        "artifact_type": BUNDLE_ARTIFACT_TYPE,
        "name": "rome-prompt-bundle",
        "prompts": [
            {
                "name": "Concise Rome Prompt",
                "prompt_text": "Short.",
                "role": "user",
                "scope_type": "org",
                "org_id": 2,
            },
            {
                "name": "Detailed Rome Prompt",
                "prompt_text": "Long.",
                "role": "user",
                "scope_type": "org",
                "org_id": 2,
            },
        ],
        "criteria": [],
        "evaluations": [],
        "experiments": [],
    }
    summary = await api.call("push_artifact_bundle", bundle, idempotency_key_prefix="rome-demo")
    assert summary["created"]["prompts"] == [
        {"name": "Concise Rome Prompt", "id": 1},
        {"name": "Detailed Rome Prompt", "id": 2},
    ]
    assert set(summary["created"]) == set(SECTIONS)
    assert api.server.requests[0].json()["prompt_text"] == "Short."


async def test_experiments_without_prefix_have_no_key(api: Api) -> None:
    api.server.handler = counter_handler()
    await api.call("push_artifact_bundle", artifact_bundle_template("experiments"))
    assert "idempotency-key" not in api.server.last.headers


INVALID_BUNDLES: list[tuple[str, Any, str]] = [
    (
        "artifact_type",
        {"artifact_type": "v0", "prompts": []},
        "artifact_type: must be 'pipelines.artifact.bundle.v1'",
    ),
    (
        "unknown-section",
        {"artifact_type": BUNDLE_ARTIFACT_TYPE, "prompt": []},
        "prompt: unknown section; valid sections: prompts",
    ),
    (
        "section-not-list",
        {"artifact_type": BUNDLE_ARTIFACT_TYPE, "prompts": {}},
        "prompts: must be a list of objects",
    ),
    (
        "item-not-object",
        {"artifact_type": BUNDLE_ARTIFACT_TYPE, "prompts": ["x"]},
        "prompts.0: must be an object",
    ),
    (
        "prompt-name",
        {"artifact_type": BUNDLE_ARTIFACT_TYPE, "prompts": [{"prompt_text": "x"}]},
        "prompts.0.name: Field required",
    ),
    (
        "endpoint-org",
        {"artifact_type": BUNDLE_ARTIFACT_TYPE, "tool_endpoints": [{"name": "e"}]},
        "tool_endpoints.0.org_id: Field required",
    ),
    (
        "binding-workflow",
        {"artifact_type": BUNDLE_ARTIFACT_TYPE, "tool_bindings": [{"node_id": "n"}]},
        "tool_bindings.0.workflow_id: Field required",
    ),
    (
        "gt-workflow",
        {"artifact_type": BUNDLE_ARTIFACT_TYPE, "tool_ground_truths": [{}]},
        "tool_ground_truths.0.workflow_id: Field required",
    ),
    (
        "experiment-keys",
        {"artifact_type": BUNDLE_ARTIFACT_TYPE, "experiments": [{"name": "x"}]},
        "experiments.0.project_id: Field required",
    ),
    ("not-a-bundle", [1], "a bundle must be a JSON object"),
]


@pytest.mark.parametrize(
    ("case", "bundle", "message"), INVALID_BUNDLES, ids=[c[0] for c in INVALID_BUNDLES]
)
async def test_invalid_bundles_fail_before_any_request(
    api: Api, case: str, bundle: Any, message: str
) -> None:
    with pytest.raises(PipelinesConfigError) as info:
        await api.call("push_artifact_bundle", bundle)
    assert message in str(info.value)
    assert "artifact_bundle_template(kind=...)" in str(info.value)
    assert api.server.requests == []


async def test_criterion_config_errors_in_a_bundle_are_located(api: Api) -> None:
    bundle = artifact_bundle_template("criteria")
    good = copy.deepcopy(bundle["criteria"][0])
    bad = copy.deepcopy(good)
    del bad["config"]["keywords"]
    bundle["criteria"] = [good, bad]
    bundle["experiments"] = [
        {
            "name": "e",
            "project_id": 1,
            "workflow_id": 2,
            "payload": {"count": 1, "variants": [{"name": "a"}, {"name": "a"}]},
        }
    ]
    with pytest.raises(PipelinesConfigError) as info:
        await api.call("push_artifact_bundle", bundle)
    locs = [e["loc"] for e in info.value.errors]
    assert ["criteria", 1, "config", "keywords"] in locs
    assert ["experiments", 0, "payload", "variants", 1, "name"] in locs
    assert api.server.requests == []


async def test_single_artifact_pushes(api: Api) -> None:
    api.server.handler = counter_handler()
    await api.call("push_prompt_artifact", {"name": "Demo prompt", "prompt_text": "Hello"})
    assert api.server.last.path == "/api/prompts"
    await api.call("push_evaluation_artifact", {"name": "Quality Eval"})
    assert api.server.last.path == "/api/evaluations"
    await api.call(
        "push_tool_endpoint_artifact", {"org_id": 2, "name": "Docs MCP", "url": "https://t/mcp"}
    )
    assert api.server.last.path == "/api/organizations/2/tool-endpoints"
    await api.call(
        "push_tool_ground_truth_artifact", {"workflow_id": 9, "node_id": "n", "field_id": "f"}
    )
    assert api.server.last.path == "/api/workflows/9/tool-ground-truths"
    assert api.server.last.json() == {"node_id": "n", "field_id": "f"}
    with pytest.raises(PipelinesConfigError, match="workflow_id: Field required"):
        await api.call("push_tool_binding_artifact", {"node_id": "n"})


# -- validated creates -------------------------------------------------------------------------


async def test_invalid_criterion_raises_before_request(api: Api) -> None:
    payload = {
        "name": "K",
        "display_label": "K",
        "type": "programmatic",
        "config": {"subtype": "contains_keywords"},
        "output_schema": {"type": "boolean"},
    }
    with pytest.raises(PipelinesConfigError) as info:
        await api.call("create_criterion", payload)
    assert "invalid criterion: config.keywords: Field required" in str(info.value)
    assert info.value.errors == [
        {"loc": ["config", "keywords"], "msg": "Field required", "type": "missing"}
    ]
    assert isinstance(info.value, ValueError)
    assert api.server.requests == []
    with pytest.raises(PipelinesConfigError, match=r"config\.keywords"):
        await api.call("push_criterion_artifact", payload)
    assert api.server.requests == []


async def test_criterion_models_are_accepted_and_dumped(api: Api) -> None:
    criterion = CriterionDefinition(
        name="K",
        display_label="K",
        type="programmatic",
        config=ContainsKeywordsConfig(keywords=["Rome"]),
        output_schema=BooleanOutput(),
    )
    await api.call("create_criterion", criterion)
    assert api.server.last.json() == {
        "name": "K",
        "display_label": "K",
        "type": "programmatic",
        "config": {"subtype": "contains_keywords", "keywords": ["Rome"]},
        "output_schema": {"type": "boolean"},
    }


@pytest.mark.parametrize(
    ("method", "payload", "loc"),
    [
        ("create_tasks_async", {"count": 0}, "count"),
        (
            "create_tasks",
            {"count": 1, "configOverrides": {"prompts": [{"nodeId": "n"}]}},
            "configOverrides.prompts.0.fieldId",
        ),
        ("create_experiment", {"count": 1, "variants": []}, "variants"),
        (
            "create_experiment",
            {"count": 1, "variants": [{"name": "a"}, {"name": "a"}]},
            "variants.1.name",
        ),
    ],
)
async def test_run_payloads_are_validated_before_request(
    api: Api, method: str, payload: Any, loc: str
) -> None:
    with pytest.raises(PipelinesConfigError, match=loc.replace(".", r"\.")):
        await api.call(method, 22, 10, payload)
    assert api.server.requests == []


async def test_guide_config_swap_payload_is_sent_as_is(api: Api) -> None:
    payload = {
        "count": 1,
        "configOverrides": {
            "prompts": [{"nodeId": "node", "fieldId": "field", "promptId": 12, "version": 1}],
        },
    }
    api.server.reply(ok({"job_id": "job-1"}))
    run = await api.call("create_tasks_async", 22, 10, payload, idempotency_key="prompt-swap-1")
    assert run == {"job_id": "job-1"}
    assert api.server.last.json() == payload

"""Tools: endpoints (CRUD, tools, refresh, test, versions, usage, binding-count), bindings,
ground truths, recommendation and tool-correctness evaluation.

Mock and code tool sets run locally; MCP and HTTP/OpenAPI endpoints are stored and discovered
over HTTP. Creating an endpoint that cannot be reached still stores it (with ``tools: []`` and
``discovery_error``); ``refresh-tools`` on it is a 502 naming the URL; ``test`` reports
``ok: false``. Secret values in ``auth_config`` are masked in every response.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.definitions import iter_fields
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.library import (
    create_versioned,
    require_strings,
    update_versioned,
)
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._engine.toolscore import recommend_tools, score_tool_calls
from pytest_pipelines.local._engine.toolsets import (
    AUTH_TYPES,
    ENDPOINT_ALIASES,
    ENDPOINT_TYPES,
    ToolEndpointError,
    check_endpoint,
    destination,
    discover_tools,
)
from pytest_pipelines.local._http.deps import (
    Body,
    OptionalBody,
    Page,
    State,
    ToolsAuth,
    page_of,
    paginate_list,
)
from pytest_pipelines.local._store.db import utcnow

router = APIRouter(prefix="/api", tags=["tools"])

ENDPOINT_TYPE_MSG = "endpoint_type must be one of: " + ", ".join(
    (*ENDPOINT_TYPES, *ENDPOINT_ALIASES)
)
AUTH_TYPE_MSG = "auth_type must be one of: " + ", ".join(AUTH_TYPES)
UNKNOWN_TARGET = "node {node!r} has no llm field {field!r}; llm fields of this workflow: {valid}"
UNKNOWN_TOOLS = "tools {names} are not offered by endpoint {endpoint}; its tools: {valid}"
ROUNDS_MSG = "max_tool_rounds must be an integer from 1 to 20"
TOOL_LIST_MSG = 'must be a list of {"name": <tool name>} objects'
NO_GROUND_TRUTH = (
    "no tool ground truth for node {node!r} field {field!r} of workflow {workflow}; create one with "
    "POST /api/workflows/{workflow}/tool-ground-truths"
)
MASK = "***"
RESUPPLY_CREDENTIALS = (
    "changing where tool endpoint {id} connects ({fields}) would send its stored credentials to "
    'the new address; send auth_config again with the credentials for it (or "auth_config": '
    "{{}} to drop them) in the same request"
)
MASKED_UNKNOWN = (
    "auth_config.{key} is the masked placeholder {mask!r}, but tool endpoint {id} stores no "
    "{key!r} to keep; send the real value (a masked value keeps only a stored one)"
)
MASKED_ON_CREATE = (
    "auth_config.{key} is the masked placeholder {mask!r} (what GET shows for a stored secret), "
    "but a new tool endpoint has no secret to keep; send the real value"
)
_SYSTEM = ("id", "created_at", "updated_at", "version", "org_id", "workflow_id", "tools")


def public_endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
    """The endpoint as served: ``auth_config`` values masked."""
    auth = endpoint.get("auth_config")
    if isinstance(auth, dict) and auth:
        endpoint = {**endpoint, "auth_config": dict.fromkeys(auth, MASK)}
    return endpoint


def _discover(endpoint: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    try:
        return discover_tools(endpoint), None
    except ToolEndpointError as exc:
        return [], str(exc)


def _endpoint_errors(body: dict[str, Any], *, creating: bool) -> list[dict[str, Any]]:
    errors = require_strings(body, "name") if creating or "name" in body else []
    kind = body.get("endpoint_type", "mcp_server" if creating else None)
    if kind is not None and kind not in ENDPOINT_TYPES and kind not in ENDPOINT_ALIASES:
        errors.append(error_item(["endpoint_type"], ENDPOINT_TYPE_MSG, "literal_error"))
    if "auth_type" in body and body["auth_type"] not in AUTH_TYPES:
        errors.append(error_item(["auth_type"], AUTH_TYPE_MSG, "literal_error"))
    return errors


def _get_endpoint(
    state: BackendState, principal: Principal, org_id: int, endpoint_id: int
) -> dict[str, Any]:
    principal.check_org(org_id)
    endpoint = get_or_404(state, "tool_endpoint", endpoint_id, principal, label="tool endpoint")
    if endpoint.get("org_id") != org_id:
        raise not_found("tool endpoint", endpoint_id)
    return endpoint


# -- endpoints -------------------------------------------------------------------------------


@router.get("/organizations/{org_id}/tool-endpoints")
def list_tool_endpoints(
    state: State, principal: ToolsAuth, org_id: int, page: Page, endpoint_type: str | None = None
) -> dict[str, Any]:
    """The organization's tool endpoints (``endpoint_type`` filters)."""
    principal.check_org(org_id)
    where = {"endpoint_type": endpoint_type} if endpoint_type else {}
    items = state.db.query(
        "tool_endpoint", org_id=org_id, where=where, limit=page.page_size, offset=page.offset
    )
    return page_of(
        [public_endpoint(e) for e in items],
        state.db.count("tool_endpoint", org_id=org_id, where=where),
        page,
    )


@router.post("/organizations/{org_id}/tool-endpoints")
def create_tool_endpoint(
    state: State, principal: ToolsAuth, org_id: int, body: Body
) -> dict[str, Any]:
    """Store an endpoint and discover its tools (mock/code: now, or 422; MCP/HTTP: best effort)."""
    principal.check_org(org_id)
    principal.check_org(body.get("org_id"))
    errors = _endpoint_errors(body, creating=True)
    if errors:
        raise APIError(422, errors)
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    supplied = data.get("auth_config")
    if isinstance(supplied, dict):
        # a copy of another endpoint's GET answer would otherwise store "***" as the credential
        masked = [k for k, v in supplied.items() if v == MASK]
        if masked:
            raise APIError(
                422,
                [
                    error_item(["auth_config", k], MASKED_ON_CREATE.format(key=k, mask=MASK))
                    for k in masked
                ],
            )
    data.setdefault("endpoint_type", "mcp_server")
    data.setdefault("auth_type", "none")
    data.setdefault("auth_config", {})
    data.setdefault("config", {})
    data.setdefault("description", "")
    data["org_id"] = org_id
    tools, problem = _discover(data)
    if problem and data["endpoint_type"] in ("mock", "code"):
        raise APIError(422, [error_item(["config"], problem)])
    data.update(
        tools=tools,
        discovery_error=problem,
        status="unreachable" if problem else "active",
        discovered_at=utcnow(),
    )
    return public_endpoint(create_versioned(state, "tool_endpoint", data))


@router.get("/organizations/{org_id}/tool-endpoints/{endpoint_id}")
def get_tool_endpoint(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int
) -> dict[str, Any]:
    """One endpoint with its discovered ``tools``."""
    return public_endpoint(_get_endpoint(state, principal, org_id, endpoint_id))


@router.patch("/organizations/{org_id}/tool-endpoints/{endpoint_id}")
def update_tool_endpoint(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int, body: Body
) -> dict[str, Any]:
    """Change an endpoint (a new version); connection changes re-run discovery."""
    current = _get_endpoint(state, principal, org_id, endpoint_id)
    errors = _endpoint_errors(body, creating=False)
    if errors:
        raise APIError(422, errors)
    changes = {k: v for k, v in body.items() if k not in _SYSTEM}
    _check_credentials_follow(current, changes)
    if isinstance(changes.get("auth_config"), dict):
        changes["auth_config"] = _unmask(current, changes["auth_config"])
    if any(k in changes for k in ("endpoint_type", "url", "config", "auth_type", "auth_config")):
        merged = {**current, **changes}
        tools, problem = _discover(merged)
        if problem and merged.get("endpoint_type") in ("mock", "code"):
            raise APIError(422, [error_item(["config"], problem)])
        changes.update(
            tools=tools,
            discovery_error=problem,
            status="unreachable" if problem else "active",
            discovered_at=utcnow(),
        )
    return public_endpoint(update_versioned(state, "tool_endpoint", current, changes))


def _unmask(current: dict[str, Any], supplied: dict[str, Any]) -> dict[str, Any]:
    """``supplied`` with each masked placeholder replaced by the stored secret it stands for.

    A client that edits what GET answered sends the masked values back; storing them would
    replace the real credentials with ``***``.
    """
    stored = current.get("auth_config")
    stored = stored if isinstance(stored, dict) else {}
    unknown = [k for k, v in supplied.items() if v == MASK and k not in stored]
    if unknown:
        raise APIError(
            422,
            [
                error_item(
                    ["auth_config", k], MASKED_UNKNOWN.format(key=k, mask=MASK, id=current["id"])
                )
                for k in unknown
            ],
        )
    return {k: stored[k] if v == MASK else v for k, v in supplied.items()}


def _check_credentials_follow(current: dict[str, Any], changes: dict[str, Any]) -> None:
    """422 when a change of address would carry the stored credentials along.

    Credentials are given for one server; a key that may edit an endpoint but never saw its
    secret (masked in every answer) must not be able to point it at a host of its choosing.
    """
    stored = current.get("auth_config")
    if not (isinstance(stored, dict) and stored):
        return
    before, after = destination(current), destination({**current, **changes})
    if before == after:
        return
    supplied = changes.get("auth_config")
    if isinstance(supplied, dict) and MASK not in supplied.values():
        return
    names = ("endpoint_type", "url", "config.spec_url", "config.base_url")
    moved = ", ".join(n for n, old, new in zip(names, before, after, strict=True) if old != new)
    raise APIError(
        422,
        [error_item(["auth_config"], RESUPPLY_CREDENTIALS.format(id=current["id"], fields=moved))],
    )


@router.delete("/organizations/{org_id}/tool-endpoints/{endpoint_id}")
def delete_tool_endpoint(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int
) -> dict[str, Any]:
    """Delete an endpoint and the bindings that use it."""
    _get_endpoint(state, principal, org_id, endpoint_id)
    for binding in state.db.query("tool_binding", where={"endpoint_id": endpoint_id}):
        state.db.delete("tool_binding", binding["id"])
    state.db.delete("tool_endpoint", endpoint_id)
    return {"id": endpoint_id, "deleted": True}


@router.get("/organizations/{org_id}/tool-endpoints/{endpoint_id}/tools")
def list_endpoint_tools(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int, page: Page
) -> dict[str, Any]:
    """The endpoint's discovered tools."""
    return paginate_list(
        list(_get_endpoint(state, principal, org_id, endpoint_id).get("tools") or []), page
    )


@router.post("/organizations/{org_id}/tool-endpoints/{endpoint_id}/refresh-tools")
def refresh_tool_endpoint_tools(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int, _: OptionalBody
) -> dict[str, Any]:
    """Discover again; a new version when the tools changed; 502 when unreachable."""
    current = _get_endpoint(state, principal, org_id, endpoint_id)
    tools, problem = _discover(current)
    if problem:
        state.db.patch(
            "tool_endpoint", endpoint_id, {"discovery_error": problem, "status": "unreachable"}
        )
        raise APIError(502, problem)
    changed = tools != current.get("tools")
    changes = {
        "tools": tools,
        "discovery_error": None,
        "status": "active",
        "discovered_at": utcnow(),
    }
    record = (
        update_versioned(state, "tool_endpoint", current, changes)
        if changed
        else state.db.patch("tool_endpoint", endpoint_id, changes)
    )
    return {**public_endpoint(record), "changed": changed, "tool_count": len(tools)}


@router.post("/organizations/{org_id}/tool-endpoints/{endpoint_id}/test")
def check_tool_endpoint(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int, body: OptionalBody
) -> dict[str, Any]:
    """``{"ok", "tool_count", "tools", "latency_ms", "error"}``; never an error status."""
    return {
        "endpoint_id": endpoint_id,
        **check_endpoint(_get_endpoint(state, principal, org_id, endpoint_id)),
    }


@router.get("/organizations/{org_id}/tool-endpoints/{endpoint_id}/versions")
def list_tool_endpoint_versions(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int, page: Page
) -> dict[str, Any]:
    """Every version of the endpoint, oldest first."""
    _get_endpoint(state, principal, org_id, endpoint_id)
    return paginate_list([public_endpoint(v) for v in state.db.list_versions(endpoint_id)], page)


@router.get("/organizations/{org_id}/tool-endpoints/{endpoint_id}/usage")
def get_tool_endpoint_usage(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int
) -> dict[str, Any]:
    """Recorded calls through the endpoint: total, errors, per tool, last call time."""
    _get_endpoint(state, principal, org_id, endpoint_id)
    calls = state.db.query("tool_call", where={"endpoint_id": endpoint_id})
    return {
        "endpoint_id": endpoint_id,
        "total_calls": len(calls),
        "error_calls": sum(1 for c in calls if c.get("error")),
        "by_tool": dict(Counter(c["tool_name"] for c in calls)),
        "workflows": sorted({c["workflow_id"] for c in calls}),
        "last_called_at": calls[-1]["created_at"] if calls else None,
    }


@router.get("/organizations/{org_id}/tool-endpoints/{endpoint_id}/binding-count")
def get_tool_endpoint_binding_count(
    state: State, principal: ToolsAuth, org_id: int, endpoint_id: int
) -> dict[str, Any]:
    """How many tool bindings use the endpoint."""
    _get_endpoint(state, principal, org_id, endpoint_id)
    return {
        "endpoint_id": endpoint_id,
        "count": state.db.count("tool_binding", where={"endpoint_id": endpoint_id}),
    }


# -- bindings --------------------------------------------------------------------------------


def _workflow(state: BackendState, principal: Principal, workflow_id: int) -> dict[str, Any]:
    return get_or_404(state, "workflow", workflow_id, principal)


def _target_errors(workflow: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    llm = [
        (n["id"], f["id"])
        for n, f in iter_fields(workflow.get("definition") or {})
        if f.get("type") == "llm"
    ]
    if (body.get("node_id"), body.get("field_id")) in llm:
        return []
    valid = ", ".join(f"{n}/{f}" for n, f in llm) or "none"
    return [
        error_item(
            ["field_id"],
            UNKNOWN_TARGET.format(
                node=body.get("node_id"), field=body.get("field_id"), valid=valid
            ),
        )
    ]


def _binding_errors(
    state: BackendState, principal: Principal, workflow: dict[str, Any], body: dict[str, Any]
) -> list[dict[str, Any]]:
    errors = require_strings(body, "node_id", "field_id") or _target_errors(workflow, body)
    endpoint = (
        state.db.get("tool_endpoint", body["endpoint_id"])
        if isinstance(body.get("endpoint_id"), int)
        else None
    )
    if endpoint is None or endpoint.get("org_id") != principal.org_id:
        errors.append(
            error_item(
                ["endpoint_id"],
                f"tool endpoint {body.get('endpoint_id')!r} does not exist in organization {principal.org_id}",
            )
        )
    else:
        offered = [t["name"] for t in endpoint.get("tools") or []]
        selected = body.get("selected_tools")
        if selected is not None:
            if not isinstance(selected, list) or not all(isinstance(s, str) for s in selected):
                errors.append(
                    error_item(["selected_tools"], "must be a list of tool names", "list_type")
                )
            elif offered and (unknown := [s for s in selected if s not in offered]):
                errors.append(
                    error_item(
                        ["selected_tools"],
                        UNKNOWN_TOOLS.format(
                            names=unknown, endpoint=endpoint["id"], valid=", ".join(offered)
                        ),
                    )
                )
    rounds = body.get("max_tool_rounds", 3)
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= 20:
        errors.append(error_item(["max_tool_rounds"], ROUNDS_MSG, "int_type"))
    return errors


@router.get("/workflows/{workflow_id}/tool-bindings")
def list_tool_bindings(
    state: State, principal: ToolsAuth, workflow_id: int, page: Page
) -> dict[str, Any]:
    """The workflow's tool bindings."""
    _workflow(state, principal, workflow_id)
    items = state.db.query(
        "tool_binding", parent_id=workflow_id, limit=page.page_size, offset=page.offset
    )
    return page_of(items, state.db.count("tool_binding", parent_id=workflow_id), page)


@router.post("/workflows/{workflow_id}/tool-bindings")
def create_tool_binding(
    state: State, principal: ToolsAuth, workflow_id: int, body: Body
) -> dict[str, Any]:
    """Bind an endpoint's tools to one LLM field (``selected_tools``, ``max_tool_rounds``)."""
    workflow = _workflow(state, principal, workflow_id)
    errors = _binding_errors(state, principal, workflow, body)
    if errors:
        raise APIError(422, errors)
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    data.setdefault("max_tool_rounds", 3)
    data.setdefault("selected_tools", None)
    data.setdefault("enabled", True)
    data.update(org_id=principal.org_id, workflow_id=workflow_id)
    return state.db.insert("tool_binding", data, parent_id=workflow_id, parent_kind="workflow")


def _child(
    state: BackendState,
    principal: Principal,
    kind: str,
    workflow_id: int,
    record_id: int,
    label: str,
) -> dict[str, Any]:
    _workflow(state, principal, workflow_id)
    record = get_or_404(state, kind, record_id, principal, label=label)
    if record.get("workflow_id") != workflow_id:
        raise not_found(label, record_id)
    return record


@router.get("/workflows/{workflow_id}/tool-bindings/{binding_id}")
def get_tool_binding(
    state: State, principal: ToolsAuth, workflow_id: int, binding_id: int
) -> dict[str, Any]:
    """One binding."""
    return _child(state, principal, "tool_binding", workflow_id, binding_id, "tool binding")


@router.patch("/workflows/{workflow_id}/tool-bindings/{binding_id}")
def update_tool_binding(
    state: State, principal: ToolsAuth, workflow_id: int, binding_id: int, body: Body
) -> dict[str, Any]:
    """Change a binding."""
    current = _child(state, principal, "tool_binding", workflow_id, binding_id, "tool binding")
    merged = {**current, **{k: v for k, v in body.items() if k not in _SYSTEM}}
    errors = _binding_errors(state, principal, _workflow(state, principal, workflow_id), merged)
    if errors:
        raise APIError(422, errors)
    return state.db.replace("tool_binding", binding_id, merged)


@router.delete("/workflows/{workflow_id}/tool-bindings/{binding_id}")
def delete_tool_binding(
    state: State, principal: ToolsAuth, workflow_id: int, binding_id: int
) -> dict[str, Any]:
    """Delete a binding."""
    _child(state, principal, "tool_binding", workflow_id, binding_id, "tool binding")
    state.db.delete("tool_binding", binding_id)
    return {"id": binding_id, "deleted": True}


# -- ground truths ---------------------------------------------------------------------------


def _truth_errors(workflow: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = require_strings(body, "node_id", "field_id") or _target_errors(workflow, body)
    for name in ("expected_tools", "excluded_tools"):
        value = body.get(name, [])
        if not isinstance(value, list) or not all(
            isinstance(t, dict) and isinstance(t.get("name"), str) for t in value
        ):
            errors.append(error_item([name], TOOL_LIST_MSG, "list_type"))
    if "ordering_matters" in body and not isinstance(body["ordering_matters"], bool):
        errors.append(
            error_item(["ordering_matters"], "Input should be a valid boolean", "bool_type")
        )
    return errors


@router.get("/workflows/{workflow_id}/tool-ground-truths")
def list_tool_ground_truths(
    state: State, principal: ToolsAuth, workflow_id: int, page: Page
) -> dict[str, Any]:
    """The workflow's tool ground truths."""
    _workflow(state, principal, workflow_id)
    items = state.db.query(
        "tool_ground_truth", parent_id=workflow_id, limit=page.page_size, offset=page.offset
    )
    return page_of(items, state.db.count("tool_ground_truth", parent_id=workflow_id), page)


@router.post("/workflows/{workflow_id}/tool-ground-truths")
def create_tool_ground_truth(
    state: State, principal: ToolsAuth, workflow_id: int, body: Body
) -> dict[str, Any]:
    """Which tools a field should (``expected_tools``) and must not (``excluded_tools``) call."""
    workflow = _workflow(state, principal, workflow_id)
    errors = _truth_errors(workflow, body)
    if errors:
        raise APIError(422, errors)
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    data.setdefault("expected_tools", [])
    data.setdefault("excluded_tools", [])
    data.setdefault("ordering_matters", False)
    data.update(org_id=principal.org_id, workflow_id=workflow_id)
    return state.db.insert("tool_ground_truth", data, parent_id=workflow_id, parent_kind="workflow")


@router.put("/workflows/{workflow_id}/tool-ground-truths/{ground_truth_id}")
def update_tool_ground_truth(
    state: State, principal: ToolsAuth, workflow_id: int, ground_truth_id: int, body: Body
) -> dict[str, Any]:
    """Change a ground truth."""
    current = _child(
        state, principal, "tool_ground_truth", workflow_id, ground_truth_id, "tool ground truth"
    )
    merged = {**current, **{k: v for k, v in body.items() if k not in _SYSTEM}}
    errors = _truth_errors(_workflow(state, principal, workflow_id), merged)
    if errors:
        raise APIError(422, errors)
    return state.db.replace("tool_ground_truth", ground_truth_id, merged)


@router.delete("/workflows/{workflow_id}/tool-ground-truths/{ground_truth_id}")
def delete_tool_ground_truth(
    state: State, principal: ToolsAuth, workflow_id: int, ground_truth_id: int
) -> dict[str, Any]:
    """Delete a ground truth."""
    _child(state, principal, "tool_ground_truth", workflow_id, ground_truth_id, "tool ground truth")
    state.db.delete("tool_ground_truth", ground_truth_id)
    return {"id": ground_truth_id, "deleted": True}


@router.post("/tool-ground-truths/recommend")
def recommend(state: State, principal: ToolsAuth, body: Body) -> dict[str, Any]:
    """Rank tools for a prompt; ``available_tools`` defaults to the workflow's bound tools."""
    errors = require_strings(body, "prompt_text")
    tools = body.get("available_tools")
    if tools is None and isinstance(body.get("workflow_id"), int):
        workflow = _workflow(state, principal, body["workflow_id"])
        tools = []
        for binding in state.db.query("tool_binding", parent_id=workflow["id"]):
            endpoint = state.db.get("tool_endpoint", binding["endpoint_id"])
            tools += [
                t
                for t in (endpoint or {}).get("tools") or []
                if not binding.get("selected_tools") or t["name"] in binding["selected_tools"]
            ]
    if not isinstance(tools, list) or not all(
        isinstance(t, dict) and isinstance(t.get("name"), str) for t in tools
    ):
        errors.append(error_item(["available_tools"], TOOL_LIST_MSG, "list_type"))
    if errors:
        raise APIError(422, errors)
    assert isinstance(tools, list)
    return {"workflow_id": body.get("workflow_id"), **recommend_tools(body["prompt_text"], tools)}


@router.post("/workflows/{workflow_id}/tool-ground-truths/nodes/{node_db_id}/evaluate")
def evaluate_tool_correctness(
    state: State, principal: ToolsAuth, workflow_id: int, node_db_id: int, body: Body
) -> dict[str, Any]:
    """Score the node's recorded calls of ``field_id`` against the field's ground truth."""
    _workflow(state, principal, workflow_id)
    node = get_or_404(state, "node", node_db_id, principal)
    if node.get("workflow_id") != workflow_id:
        raise not_found("node", node_db_id)
    errors = require_strings(body, "field_id")
    params = body.get("evaluation_params") or []
    if not isinstance(params, list):
        errors.append(
            error_item(["evaluation_params"], "Input should be a valid list", "list_type")
        )
    if errors:
        raise APIError(422, errors)
    truths = state.db.query(
        "tool_ground_truth",
        parent_id=workflow_id,
        where={"node_id": node["node_id"], "field_id": body["field_id"]},
    )
    if not truths:
        raise APIError(
            404,
            NO_GROUND_TRUTH.format(
                node=node["node_id"], field=body["field_id"], workflow=workflow_id
            ),
        )
    calls = [
        c
        for c in state.db.query("tool_call", parent_id=node_db_id)
        if c.get("field_id") == body["field_id"]
    ]
    try:
        result = score_tool_calls(
            calls,
            truths[-1],
            evaluation_params=params,
            should_exact_match=bool(body.get("should_exact_match", False)),
            should_consider_ordering=bool(body.get("should_consider_ordering", False)),
            threshold=body.get("threshold", 1.0),
        )
    except ValueError as exc:
        raise APIError(422, [error_item(["evaluation_params"], str(exc))]) from None
    return {
        "node_db_id": node_db_id,
        "field_id": body["field_id"],
        "ground_truth_id": truths[-1]["id"],
        **result,
    }

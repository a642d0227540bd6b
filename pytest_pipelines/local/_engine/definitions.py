"""Workflow definitions: validation, configurable fields, creation mode, config overrides.

The definition shape is documented in docs/reference/local-shapes.md ("Workflow definition").
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pytest_pipelines.local._engine.errors import error_item

FIELD_TYPES = ("input", "llm", "evaluation")
NODES_LIST = 'definition.nodes must be a list of nodes, each {"id", "title"?, "fields": [...]}'
FIELD_TYPE_MSG = "field type must be one of: " + ", ".join(FIELD_TYPES)
DUPLICATE_NODE = "node id {id!r} is used more than once; node ids must be unique"
DUPLICATE_FIELD = "field id {id!r} is used more than once in node {node!r}"
LLM_NEEDS_PROMPT = "an llm field needs prompt_id or prompt_text"
LLM_NEEDS_MODEL = "an llm field needs model (a model slug of the local registry)"
EVAL_NEEDS_TARGET = (
    'an evaluation field needs target: {"node_id", "field_id"} naming an earlier field'
)
EVAL_NEEDS_ID = "an evaluation field needs evaluation_id"
UNKNOWN_NODE = "node {id!r} is not in this workflow; its nodes: {valid}"
UNKNOWN_FIELD = "field {field!r} is not a {kind} field of node {node!r}; its {kind} fields: {valid}"


def definition_errors(
    definition: Any, loc: tuple[str, ...] = ("definition",)
) -> list[dict[str, Any]]:
    """422 items for a malformed workflow definition (empty list when valid)."""
    if not isinstance(definition, Mapping) or not isinstance(definition.get("nodes"), list):
        return [error_item([*loc, "nodes"], NODES_LIST, "list_type")]
    errors: list[dict[str, Any]] = []
    seen_nodes: set[str] = set()
    earlier: set[tuple[str, str]] = set()
    for n, node in enumerate(definition["nodes"]):
        nloc: list[str | int] = [*loc, "nodes", n]
        if not isinstance(node, Mapping) or not isinstance(node.get("id"), str):
            errors.append(error_item([*nloc, "id"], "Field required (a string node id)", "missing"))
            continue
        if node["id"] in seen_nodes:
            errors.append(error_item([*nloc, "id"], DUPLICATE_NODE.format(id=node["id"])))
        seen_nodes.add(node["id"])
        fields = node.get("fields", [])
        if not isinstance(fields, list):
            errors.append(
                error_item([*nloc, "fields"], "Input should be a valid list", "list_type")
            )
            continue
        seen_fields: set[str] = set()
        for f, field in enumerate(fields):
            floc: list[str | int] = [*nloc, "fields", f]
            if not isinstance(field, Mapping) or not isinstance(field.get("id"), str):
                errors.append(
                    error_item([*floc, "id"], "Field required (a string field id)", "missing")
                )
                continue
            if field["id"] in seen_fields:
                errors.append(
                    error_item(
                        [*floc, "id"], DUPLICATE_FIELD.format(id=field["id"], node=node["id"])
                    )
                )
            seen_fields.add(field["id"])
            ftype = field.get("type")
            if ftype not in FIELD_TYPES:
                errors.append(error_item([*floc, "type"], FIELD_TYPE_MSG, "literal_error"))
            elif ftype == "llm":
                if field.get("prompt_id") is None and not isinstance(field.get("prompt_text"), str):
                    errors.append(error_item([*floc, "prompt_id"], LLM_NEEDS_PROMPT, "missing"))
                if not isinstance(field.get("model"), str) or not field["model"]:
                    errors.append(error_item([*floc, "model"], LLM_NEEDS_MODEL, "missing"))
            elif ftype == "evaluation":
                target = field.get("target")
                if (
                    not isinstance(target, Mapping)
                    or (target.get("node_id"), target.get("field_id")) not in earlier
                ):
                    errors.append(error_item([*floc, "target"], EVAL_NEEDS_TARGET))
                if field.get("evaluation_id") is None:
                    errors.append(error_item([*floc, "evaluation_id"], EVAL_NEEDS_ID, "missing"))
            earlier.add((node["id"], field["id"]))
    return errors


def iter_fields(definition: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(node, field) pairs in execution order."""
    return [
        (node, field) for node in definition.get("nodes", []) for field in node.get("fields", [])
    ]


def configurable_fields(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    """LLM fields support prompt and model swaps; evaluation fields support evaluation swaps."""
    out = []
    for node, field in iter_fields(definition):
        if field.get("type") == "llm":
            supports = ["prompt", "model"]
        elif field.get("type") == "evaluation":
            supports = ["evaluation"]
        else:
            continue
        out.append(
            {
                "nodeId": node["id"],
                "nodeTitle": node.get("title", node["id"]),
                "fieldId": field["id"],
                "fieldTitle": field.get("title", field["id"]),
                "fieldType": field["type"],
                "supports": supports,
            }
        )
    return out


def creation_mode(definition: Mapping[str, Any], seed_rows: list[Any]) -> dict[str, Any]:
    """``requires_csv`` is true when an input field has no default and there are no seed rows."""
    inputs = []
    missing_default = False
    for node, field in iter_fields(definition):
        if field.get("type") == "input":
            inputs.append(
                {
                    "nodeId": node["id"],
                    "fieldId": field["id"],
                    "fieldTitle": field.get("title", field["id"]),
                    "has_default": "default" in field,
                }
            )
            missing_default = missing_default or "default" not in field
    return {
        "requires_csv": missing_default and not seed_rows,
        "mode": "csv" if (missing_default and not seed_rows) else "direct",
        "input_fields": inputs,
        "seed_rows": len(seed_rows),
    }


def _find_node(definition: dict[str, Any], node_id: Any) -> dict[str, Any] | None:
    for node in definition.get("nodes", []):
        if node.get("id") == node_id:
            found: dict[str, Any] = node
            return found
    return None


def apply_overrides(
    definition: Mapping[str, Any], overrides: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of ``definition`` with ``configOverrides`` applied, plus 422 items for bad targets.

    ``loc`` of an item is relative to the overrides object (``["prompts", 0, "nodeId"]``).
    """
    result = copy.deepcopy(dict(definition))
    errors: list[dict[str, Any]] = []
    if not overrides:
        return result, errors
    node_ids = [n.get("id") for n in result.get("nodes", [])]

    def locate(
        section: str, index: int, item: Mapping[str, Any], kind: str, field_required: bool
    ) -> list[dict[str, Any]]:
        node = _find_node(result, item.get("nodeId"))
        if node is None:
            errors.append(
                {
                    "loc": [section, index, "nodeId"],
                    "msg": UNKNOWN_NODE.format(
                        id=item.get("nodeId"), valid=", ".join(map(str, node_ids))
                    ),
                }
            )
            return []
        fields = [f for f in node.get("fields", []) if f.get("type") == kind]
        field_id = item.get("fieldId")
        if field_id is None and not field_required:
            return fields
        chosen = [f for f in fields if f.get("id") == field_id]
        if not chosen:
            errors.append(
                {
                    "loc": [section, index, "fieldId"],
                    "msg": UNKNOWN_FIELD.format(
                        field=field_id,
                        kind=kind,
                        node=node["id"],
                        valid=", ".join(f["id"] for f in fields) or "none",
                    ),
                }
            )
        return chosen

    for i, item in enumerate(overrides.get("prompts") or []):
        for field in locate("prompts", i, item, "llm", True):
            field["prompt_id"] = item.get("promptId")
            field["prompt_version"] = item.get("version")
            field.pop("prompt_text", None)
    for i, item in enumerate(overrides.get("models") or []):
        for field in locate("models", i, item, "llm", False):
            field["model"] = item.get("modelSlug")
    for i, item in enumerate(overrides.get("evaluations") or []):
        for field in locate("evaluations", i, item, "evaluation", True):
            field["evaluation_id"] = item.get("evaluationId")
            field["evaluation_version"] = item.get("version")
    return result, errors

"""Shared values and types of the REST contract tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROJECT = 22
ORG = 2


@dataclass(frozen=True)
class Person:
    """A seeded user of org 2 and its API key."""

    user_id: int
    key: str
    role: str


@dataclass
class HumanRun:
    """One finished task of a workflow with human work."""

    workflow_id: int
    task_id: int
    nodes: dict[str, int]
    criterion_id: int | None


def human_definition(evaluation_id: int | None, *, review: bool = True) -> dict[str, Any]:
    """plan (input + echo LLM), label (a human node), rate (human-rating evaluation)."""
    nodes: list[dict[str, Any]] = [
        {
            "id": "plan",
            "title": "Plan",
            "fields": [
                {"id": "city", "type": "input", "title": "City"},
                {
                    "id": "itinerary",
                    "type": "llm",
                    "title": "Itinerary",
                    "prompt_text": "Plan a day in {{city}}.",
                    "model": "echo",
                },
            ],
        },
        {
            "id": "label",
            "title": "Label",
            "fields": [],
            "human": {"fields": [{"id": "verdict", "title": "Verdict"}], "review": review},
        },
    ]
    if evaluation_id is not None:
        nodes.append(
            {
                "id": "rate",
                "title": "Rate",
                "fields": [
                    {
                        "id": "quality",
                        "type": "evaluation",
                        "title": "Quality",
                        "target": {"node_id": "plan", "field_id": "itinerary"},
                        "evaluation_id": evaluation_id,
                    },
                ],
            }
        )
    return {"nodes": nodes}

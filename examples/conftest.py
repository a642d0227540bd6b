"""Shared fixtures of the Rome itinerary example suite.

Every eval test here targets the demo workflow 10 "Italy" of project 22 (seeded by
``pipelines_demo = true`` in ``pytest.ini``):

- node ``plan``: inputs ``city`` and ``days``, LLM field ``itinerary`` (model ``demo-planner``);
- node ``research``: LLM field ``notes`` (model ``demo-researcher``) with the demo tools
  ``search_docs``, ``fetch_url`` and ``delete_record``;
- node ``review``: evaluation field ``quality`` that scores ``plan.itinerary`` with the demo
  evaluation (criteria "Mentions Rome Highlights", "Has Day Number", "Itinerary Quality Judge").

The fixtures below create ephemeral prompts, criteria and evaluations through the plugin's
factories: each object gets a name unique to this run (and xdist worker) and is deleted when the
test ends, pass or fail.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pipelines import PromptFactory


@pytest.fixture
def concise_prompt(pipelines_prompt: PromptFactory) -> dict[str, Any]:
    """A concise itinerary prompt (ephemeral)."""
    return pipelines_prompt(
        "Create a concise {{days}} day {{city}} itinerary.", name="concise-itinerary"
    )


@pytest.fixture
def detailed_prompt(pipelines_prompt: PromptFactory) -> dict[str, Any]:
    """A detailed itinerary prompt (ephemeral)."""
    return pipelines_prompt(
        "Create a detailed {{days}} day {{city}} itinerary with morning, afternoon and evening plans.",
        name="detailed-itinerary",
    )


@pytest.fixture
def json_prompt(pipelines_prompt: PromptFactory) -> dict[str, Any]:
    """A prompt asking for the itinerary as JSON (ephemeral)."""
    return pipelines_prompt(
        "Return the {{days}} day {{city}} itinerary as JSON.", name="json-itinerary"
    )

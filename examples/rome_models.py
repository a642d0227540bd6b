"""A custom model for the local backend, registered through the ``pipelines_models`` ini key.

The local backend runs LLM fields with plain Python callables registered by slug. This module
exposes a dict ``MODELS`` (slug -> callable); ``pytest.ini`` names it as ``rome_models:MODELS``.
A model receives a :class:`~pytest_pipelines.local.models.ModelRequest` (the rendered prompt,
the conversation, the offered tools) and returns the answer text.

``rome-guide`` is deliberately simple and deterministic: it writes one line per day with a
named sight, so its results are stable run after run.
"""

from __future__ import annotations

import re

from pytest_pipelines.local.models import ModelRequest

ROME_DAYS = (
    "Colosseum and the Roman Forum",
    "Vatican Museums and St. Peter's Basilica",
    "Trastevere by night",
    "Pantheon, Piazza Navona and the Trevi Fountain",
    "Borghese Gallery and the Spanish Steps",
)


def rome_guide(request: ModelRequest) -> str:
    """Writes 'Day N: <sight>' lines for the number of days the prompt asks for (default 3)."""
    match = re.search(r"(\d+)\s*day", request.prompt)
    days = int(match.group(1)) if match else 3
    return "\n".join(
        f"Day {day}: {ROME_DAYS[(day - 1) % len(ROME_DAYS)]}." for day in range(1, days + 1)
    )


MODELS = {"rome-guide": rome_guide}

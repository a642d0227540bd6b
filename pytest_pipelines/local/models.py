"""Models of the local backend: plain Python callables registered by slug (the public API).

A model is any callable that takes a :class:`ModelRequest` and returns a :class:`ModelResponse`
or a plain ``str`` (the answer text)::

    from pytest_pipelines.local.models import ModelRegistry, ModelRequest

    registry = ModelRegistry()

    @registry.register("shouty", latency=0.05, description="upper-cases the prompt")
    def shouty(request: ModelRequest) -> str:
        return request.prompt.upper()

A model that wants to call tools answers ``ModelResponse(tool_calls=(ToolCall(...),))``; the
engine runs the calls against the bound tool endpoint and calls the model again with the
results appended to ``request.messages`` as ``role="tool"`` messages.

The registry itself lives in the engine (``_engine/registry.py``); this module is its stable
import path, and adds the demo models of ``pipelines-local serve --demo`` on request.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# imported for its effect: registry.load_spec accepts provider:model specs from here on
import pytest_pipelines.local._engine.providers  # noqa: F401

# The message constants are re-exported (``X as X``) so code matching them keeps one import path.
from pytest_pipelines.local._engine.registry import (
    BAD_ANSWER_MESSAGE as BAD_ANSWER_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    BAD_LATENCY_MESSAGE as BAD_LATENCY_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    BAD_SPEC_MESSAGE as BAD_SPEC_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    BAD_USAGE_MESSAGE as BAD_USAGE_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    ECHO_SLUG,
    BadModelSpecError,
    Message,
    ModelError,
    ModelFn,
    ModelRegistry,
    ModelRequest,
    ModelResponse,
    RegisteredModel,
    ToolCall,
    ToolSpec,
    UnknownModelError,
    Usage,
    builtin_registry,
)
from pytest_pipelines.local._engine.registry import (
    INVALID_SLUG_MESSAGE as INVALID_SLUG_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    MODEL_FAILED_MESSAGE as MODEL_FAILED_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    NO_TEXT_MESSAGE as NO_TEXT_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    NON_FINITE_ARGUMENTS_MESSAGE as NON_FINITE_ARGUMENTS_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    NOT_CALLABLE_MESSAGE as NOT_CALLABLE_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    PROVIDER_NAMES as PROVIDER_NAMES,
)
from pytest_pipelines.local._engine.registry import (
    SPEC_ACCEPTED_FORMS as SPEC_ACCEPTED_FORMS,
)
from pytest_pipelines.local._engine.registry import (
    UNKNOWN_MODEL_MESSAGE as UNKNOWN_MODEL_MESSAGE,
)
from pytest_pipelines.local._engine.registry import (
    echo_model as echo_model,
)

__all__ = [
    "ECHO_SLUG",
    "BadModelSpecError",
    "Message",
    "ModelError",
    "ModelFn",
    "ModelRegistry",
    "ModelRequest",
    "ModelResponse",
    "RegisteredModel",
    "ToolCall",
    "ToolSpec",
    "UnknownModelError",
    "Usage",
    "default_registry",
]


def default_registry(
    *, demo: bool = False, sleep: Callable[[float], None] = time.sleep
) -> ModelRegistry:
    """A registry with the built-in ``echo`` model, plus the demo models when ``demo``.

    :param demo: default ``False``; also register ``demo-planner``, ``demo-researcher``,
        ``demo-judge``, ``demo-flash``, and ``gemini-3.5-flash``: ``demo-flash`` under the
        guide's slug, registered as a local stand-in (``stand_in_for``), not the real model.
    :param sleep: default :func:`time.sleep`; see :class:`ModelRegistry`.
    """
    registry = builtin_registry(sleep=sleep)
    if demo:
        from pytest_pipelines.local._demo.models import (
            DEMO_MODELS,
            STAND_IN_DESCRIPTION,
            STAND_INS,
        )

        for slug, (fn, description) in DEMO_MODELS.items():
            registry.register(slug, fn, description=description)
        for slug, demo_slug in STAND_INS.items():
            registry.register(
                slug,
                DEMO_MODELS[demo_slug][0],
                description=STAND_IN_DESCRIPTION.format(slug=slug, demo=demo_slug),
                stand_in_for=slug,
            )
    return registry

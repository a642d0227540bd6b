"""Real models for the local backend: OpenAI- and Anthropic-protocol adapters on httpx.

``provider:model[,option=value...]`` specs register a :class:`ProviderModel` in the model
registry like any other model; the model-call cache records and replays their answers. See
``docs/models-and-tools.md`` ("Real models").
"""

from __future__ import annotations

from pytest_pipelines.local._engine.providers.adapter import (
    ProviderError,
    ProviderModel,
    register_provider,
    register_recorded,
)
from pytest_pipelines.local._engine.providers.cache import (
    CACHE_MODES,
    CacheMissError,
    ModelCache,
    cache_key,
)
from pytest_pipelines.local._engine.providers.spec import (
    PROVIDERS,
    ProviderConfigError,
    ProviderSpec,
    is_provider_spec,
    parse_provider_spec,
)
from pytest_pipelines.local._engine.registry import SPEC_LOADERS, ModelRegistry


def _load(registry: ModelRegistry, spec: str) -> list[str]:
    return [register_provider(registry, spec)]


if not any(matches is is_provider_spec for matches, _load_fn in SPEC_LOADERS):
    SPEC_LOADERS.append((is_provider_spec, _load))

__all__ = [
    "CACHE_MODES",
    "PROVIDERS",
    "CacheMissError",
    "ModelCache",
    "ProviderConfigError",
    "ProviderError",
    "ProviderModel",
    "ProviderSpec",
    "cache_key",
    "is_provider_spec",
    "parse_provider_spec",
    "register_provider",
    "register_recorded",
]

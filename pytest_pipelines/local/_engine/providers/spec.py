"""Provider model specs: ``provider:model[,option=value...]`` parsed into a :class:`ProviderSpec`.

Pure (no I/O besides reading the environment for a key): the plugin and ``pipelines-local
serve`` call :func:`parse_provider_spec` at startup, so a typo fails before any run starts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_pipelines._secret import Secret

Protocol = Literal["openai", "anthropic"]


@dataclass(frozen=True)
class ProviderKind:
    """What a provider name means: its wire protocol, default base URL and key variable."""

    protocol: Protocol
    base_url: str | None
    key_env: str | None
    key_required: bool


#: provider name -> wire protocol, default base URL, default key variable, whether a key is needed
PROVIDERS: Mapping[str, ProviderKind] = {
    "openai": ProviderKind("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", True),
    "anthropic": ProviderKind("anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", True),
    "azure": ProviderKind("openai", None, "AZURE_OPENAI_API_KEY", True),
    "ollama": ProviderKind("openai", "http://localhost:11434/v1", "OLLAMA_API_KEY", False),
    "vllm": ProviderKind("openai", "http://localhost:8000/v1", "VLLM_API_KEY", False),
    "lmstudio": ProviderKind("openai", "http://localhost:1234/v1", "LMSTUDIO_API_KEY", False),
    "llamacpp": ProviderKind("openai", "http://localhost:8080/v1", "LLAMACPP_API_KEY", False),
    "openai-compatible": ProviderKind("openai", None, "OPENAI_API_KEY", False),
}

#: options a spec may carry, with what each means (the error for an unknown option lists them)
OPTIONS: Mapping[str, str] = {
    "as": "the slug to register the model under (default provider:model)",
    "base_url": "the server's API root, such as http://localhost:11434/v1",
    "key_env": "the environment variable that holds the key",
    "input_price": "USD per million input tokens",
    "output_price": "USD per million output tokens",
    "timeout": "seconds to wait for one answer (default 60)",
    "max_retries": "retries after a 429, a 5xx or a timeout (default 2)",
    "max_retry_wait": "longest Retry-After to honour, in seconds (default 30)",
    "api_version": "azure only: the api-version query parameter",
    "temperature": "generation parameter, used when the field sets none",
    "max_tokens": "generation parameter (anthropic default 1024)",
    "top_p": "generation parameter",
    "seed": "generation parameter (openai protocol)",
}
GENERATION_OPTIONS = ("temperature", "max_tokens", "top_p", "seed")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_WAIT = 30.0
DEFAULT_ANTHROPIC_MAX_TOKENS = 1024

SPEC_SYNTAX = (
    "a provider model spec is provider:model[,option=value...], such as "
    "'openai:gpt-4.1-mini', 'ollama:llama3.2,as=demo-planner' or "
    "'openai-compatible:my-model,base_url=http://127.0.0.1:8000/v1'"
)
UNKNOWN_PROVIDER = "unknown model provider {provider!r} in {spec!r}; providers: {valid}"
BAD_OPTION = "model spec {spec!r}: unknown option {name!r}; options: {valid}"
BAD_OPTION_FORMAT = "model spec {spec!r}: {part!r} is not option=value; " + SPEC_SYNTAX
BAD_NUMBER = "model spec {spec!r}: {name}={value!r} must be a number >= 0"
BAD_INTEGER = "model spec {spec!r}: {name}={value!r} must be a whole number >= 0"
BAD_BASE_URL = (
    "model spec {spec!r}: base_url={value!r} must start with http:// or https://, such as "
    "http://localhost:11434/v1"
)
NEEDS_BASE_URL = (
    "model spec {spec!r}: provider {provider!r} has no default server; add "
    "base_url=https://... to the spec"
)
NEEDS_API_VERSION = (
    "model spec {spec!r}: azure needs api_version=... (such as 2024-10-21) and base_url="
    "https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT"
)
EMPTY_MODEL = "model spec {spec!r}: the model name after {provider!r}: is empty; " + SPEC_SYNTAX
HALF_PRICE = (
    "model spec {spec!r}: give both input_price and output_price (USD per million tokens), or "
    "neither (the cost is then unknown)"
)
CREDENTIALS_IN_URL = (
    "model spec ...@{spec!r}: base_url must not carry credentials; put the key in an "
    "environment variable and name it with key_env=NAME"
)
MISSING_KEY = (
    "model {slug!r} needs an API key: set the environment variable {env} (or name another "
    "variable with key_env=NAME in the model spec)"
)


class ProviderConfigError(ValueError):
    """A provider model spec is wrong, or its key is missing: fix it before anything runs."""


@dataclass(frozen=True)
class ProviderSpec:
    """A parsed provider model spec.

    :param provider: a name of :data:`PROVIDERS`.
    :param model: the provider's model name (``gpt-4.1-mini``, ``llama3.2``).
    :param slug: default ``provider:model``; the slug workflows name the model by.
    :param params: default ``{}``; generation parameters sent with every call.
    """

    provider: str
    model: str
    slug: str
    protocol: Protocol
    base_url: str
    key_env: str | None
    key_required: bool
    input_price: float | None = None
    output_price: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT
    api_version: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    def describe(self) -> dict[str, Any]:
        """The spec without anything secret (the key is never held here): for manifests."""
        return {
            "provider": self.provider,
            "model": self.model,
            "slug": self.slug,
            "params": dict(self.params),
            "input_price": self.input_price,
            "output_price": self.output_price,
        }

    def key(self, environ: Mapping[str, str] | None = None) -> Secret | None:
        """The key from :attr:`key_env` as a :class:`Secret`; ``None`` when unset and optional.

        :raises ProviderConfigError: the key is required and the variable is unset or empty.
        """
        env = os.environ if environ is None else environ
        value = env.get(self.key_env or "", "").strip() if self.key_env else ""
        if value:
            return Secret(value)
        if self.key_required:
            raise ProviderConfigError(MISSING_KEY.format(slug=self.slug, env=self.key_env))
        return None


def is_provider_spec(spec: str) -> bool:
    """Whether ``spec`` names a known provider before its first ``:``."""
    head = spec.split(":", 1)[0].strip().lower()
    return ":" in spec and head in PROVIDERS


def _number(spec: str, name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not math.isfinite(number) or number < 0:
        raise ProviderConfigError(BAD_NUMBER.format(spec=spec, name=name, value=value))
    return number


def _integer(spec: str, name: str, value: str) -> int:
    text = value.strip()
    # ASCII only: str.isdigit() also accepts '²', which int() then rejects
    if not (text.isascii() and text.isdigit()):
        raise ProviderConfigError(BAD_INTEGER.format(spec=spec, name=name, value=value))
    return int(text)


def parse_provider_spec(spec: str) -> ProviderSpec:
    """Parse ``provider:model[,option=value...]``; see :data:`OPTIONS` for the options.

    :raises ProviderConfigError: unknown provider or option, a bad value, a missing base URL.
    """
    head, _, rest = spec.strip().partition(":")
    provider = head.strip().lower()
    kind = PROVIDERS.get(provider)
    if kind is None:
        raise ProviderConfigError(
            UNKNOWN_PROVIDER.format(provider=head, spec=spec, valid=", ".join(PROVIDERS))
        )
    model, *parts = rest.split(",")
    model = model.strip()
    if not model:
        raise ProviderConfigError(EMPTY_MODEL.format(spec=spec, provider=provider))
    options: dict[str, str] = {}
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not part.strip():
            continue
        if not sep or not name:
            raise ProviderConfigError(BAD_OPTION_FORMAT.format(spec=spec, part=part))
        if name not in OPTIONS:
            raise ProviderConfigError(
                BAD_OPTION.format(spec=spec, name=name, valid=", ".join(OPTIONS))
            )
        options[name] = value.strip()
    base_url = options.get("base_url") or kind.base_url
    if base_url is None:
        raise ProviderConfigError(NEEDS_BASE_URL.format(spec=spec, provider=provider))
    if not base_url.lower().startswith(("http://", "https://")):
        raise ProviderConfigError(BAD_BASE_URL.format(spec=spec, value=base_url))
    if "@" in base_url.split("://", 1)[1].split("/", 1)[0]:
        raise ProviderConfigError(CREDENTIALS_IN_URL.format(spec=spec.split("@")[-1]))
    if provider == "azure" and not options.get("api_version"):
        raise ProviderConfigError(NEEDS_API_VERSION.format(spec=spec))
    params: dict[str, Any] = {}
    for name in GENERATION_OPTIONS:
        if name in options:
            value = options[name]
            if name in ("max_tokens", "seed"):
                params[name] = _integer(spec, name, value)
            else:
                params[name] = _number(spec, name, value)
    if kind.protocol == "anthropic":
        params.setdefault("max_tokens", DEFAULT_ANTHROPIC_MAX_TOKENS)
    slug = options.get("as") or f"{provider}:{model}"
    prices = {
        name: _number(spec, name, options[name])
        for name in ("input_price", "output_price")
        if name in options
    }
    if len(prices) == 1:
        raise ProviderConfigError(HALF_PRICE.format(spec=spec))
    timeout = _number(spec, "timeout", options.get("timeout", str(DEFAULT_TIMEOUT)))
    if timeout <= 0:
        raise ProviderConfigError(
            BAD_NUMBER.format(spec=spec, name="timeout", value="0") + " and > 0"
        )
    return ProviderSpec(
        provider=provider,
        model=model,
        slug=slug,
        protocol=kind.protocol,
        base_url=base_url.rstrip("/"),
        key_env=options.get("key_env") or kind.key_env,
        key_required=kind.key_required or "key_env" in options,
        input_price=prices.get("input_price"),
        output_price=prices.get("output_price"),
        timeout=timeout,
        max_retries=_integer(spec, "max_retries", options["max_retries"])
        if "max_retries" in options
        else DEFAULT_MAX_RETRIES,
        max_retry_wait=_number(spec, "max_retry_wait", options["max_retry_wait"])
        if "max_retry_wait" in options
        else DEFAULT_MAX_RETRY_WAIT,
        api_version=options.get("api_version"),
        params=params,
        source=spec.strip(),
    )

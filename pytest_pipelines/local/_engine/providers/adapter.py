"""``ProviderModel``: a registry model that calls an OpenAI- or Anthropic-protocol server.

One instance per registered spec, holding one ``httpx.Client`` (thread-safe; the engine calls
models from several worker threads). A call goes through the model-call cache when one is set,
retries 429s, 5xx answers and timeouts a bounded number of times (honouring ``Retry-After``), and
turns every other failure into a :class:`ProviderError` saying what happened and what to do. The
key lives in a :class:`~pytest_pipelines._secret.Secret` and is scrubbed from any provider
message before it is shown.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from pytest_pipelines._secret import Secret
from pytest_pipelines.local._engine.limits import well_formed_json
from pytest_pipelines.local._engine.meter import current
from pytest_pipelines.local._engine.providers.cache import CachedAnswer, ModelCache, cache_key
from pytest_pipelines.local._engine.providers.spec import ProviderSpec, parse_provider_spec
from pytest_pipelines.local._engine.providers.wire import (
    ANTHROPIC_VERSION,
    MalformedReply,
    WireAnswer,
    anthropic_body,
    error_message,
    openai_body,
    parse_anthropic,
    parse_openai,
)
from pytest_pipelines.local._engine.registry import (
    ModelError,
    ModelRegistry,
    ModelRequest,
    ModelResponse,
    Usage,
)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})

PREFIX = "model {slug!r} ({provider}:{model} at {url}): "
AUTH_FAILED = (
    PREFIX + "the provider refused the key ({status}): {message}; check the key in ${env} "
    "(or name another variable with key_env=NAME in the model spec)"
)
MODEL_NOT_FOUND = (
    PREFIX + "not found (404): {message}; check the model name and base_url (an "
    "OpenAI-compatible server lists its models at {base_url}/models)"
)
BAD_REQUEST = PREFIX + "the provider rejected the request ({status}): {message}"
RATE_LIMITED = (
    PREFIX + "rate limited (429) after {attempts} attempt(s): {message}; lower the tasks run "
    "at once (ini pipelines_local_workers, pipelines-local serve --workers), raise max_retries= "
    "in the model spec, or wait for the quota to reset"
)
RETRY_TOO_LONG = (
    PREFIX + "the provider asked to retry after {wait:g} s, longer than max_retry_wait={cap:g}; "
    "{message}"
)
SERVER_ERROR = (
    PREFIX + "server error ({status}) after {attempts} attempt(s): {message}; the provider is "
    "failing, retry later"
)
TIMED_OUT = (
    PREFIX + "no answer within {timeout:g} s after {attempts} attempt(s); raise timeout= in the "
    "model spec, or check that the server is not overloaded"
)
UNREACHABLE = (
    PREFIX + "could not connect ({kind}); is the server running at {base_url}? Start it (for "
    "Ollama: `ollama serve`) or set base_url=... in the model spec"
)
MALFORMED = (
    PREFIX + "malformed reply ({status}): {problem}; the body starts with {head!r}; is base_url "
    "the API root of a {protocol}-protocol server?"
)
NO_KEY_IN_REPLAY = "the cache is in replay mode"


class ProviderError(ModelError):
    """A provider call failed; the message says what happened and what to do."""

    def __init__(self, message: str, *, slug: str, status: int | None = None) -> None:
        super().__init__(message, slug=slug)
        self.status = status


def scrub(text: str, key: Secret | None) -> str:
    """``text`` with the key, and any word of 8+ characters taken from it, replaced by ``***``."""
    if not key:
        return text
    plain = str(key)
    text = text.replace(plain, "***")
    words = []
    for word in text.split(" "):
        core = word.strip(".,;:'\"()[]")
        words.append(word.replace(core, "***") if len(core) >= 8 and core in plain else word)
    return " ".join(words)


def retry_after(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (seconds or an HTTP date), or ``None``."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class ProviderModel:
    """The registry callable of a provider spec.

    :param spec: the parsed spec.
    :param key: default ``None``; the API key (``None`` for servers that need none, or replay).
    :param cache: default ``None``; the model-call cache.
    :param transport: default ``None``; an httpx transport (tests inject misbehaving ones).
    :param sleep: default :func:`time.sleep`; how retries wait.
    """

    def __init__(
        self,
        spec: ProviderSpec,
        *,
        key: Secret | None = None,
        cache: ModelCache | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spec = spec
        self.slug = spec.slug
        self._key = key
        self.cache = cache
        self._transport = transport
        self._sleep = sleep
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ProviderModel {self.spec.provider}:{self.spec.model} as {self.slug!r}>"

    # -- the wire ------------------------------------------------------------------------------

    def body(self, request: ModelRequest) -> dict[str, Any]:
        """The wire request body of ``request`` (also what the cache key covers)."""
        build = anthropic_body if self.spec.protocol == "anthropic" else openai_body
        return build(request, self.spec.model, self.spec.params)

    def _url(self) -> str:
        if self.spec.protocol == "anthropic":
            return f"{self.spec.base_url}/v1/messages"
        return f"{self.spec.base_url}/chat/completions"

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.spec.protocol == "anthropic":
            headers["anthropic-version"] = ANTHROPIC_VERSION
            if self._key:
                headers["x-api-key"] = str(self._key)
        elif self._key and self.spec.provider == "azure":
            headers["api-key"] = str(self._key)
        elif self._key:
            headers["authorization"] = f"Bearer {self._key}"
        return headers

    def client(self) -> httpx.Client:
        """The shared httpx client (created on first use)."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=self.spec.timeout, transport=self._transport, follow_redirects=False
                )
            return self._client

    def close(self) -> None:
        """Close the HTTP client."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- a call --------------------------------------------------------------------------------

    def __call__(self, request: ModelRequest) -> ModelResponse:
        # sent as UTF-8: a lone surrogate (an earlier field's broken emoji in the prompt) goes
        # as U+FFFD, where encoding the body failed the call with UnicodeEncodeError
        body = well_formed_json(self.body(request))
        meter = current()
        repeat = int(request.metadata.get("repeat", meter.repeat if meter else 0))
        cache = self.cache
        key = cache_key(self.spec.provider, body, repeat) if cache and cache.mode != "off" else ""
        call = {
            "slug": self.slug,
            "provider": self.spec.provider,
            "model": self.spec.model,
            "purpose": str(request.metadata.get("purpose", "generation")),
            "repeat": repeat,
            "label": meter.label if meter else "",
        }
        if cache is not None and cache.reads:
            hit = cache.get(key)
            if hit is not None:
                usage = Usage(hit.input_tokens, hit.output_tokens, replayed=True)
                return ModelResponse(hit.response.text, hit.response.tool_calls, usage=usage)
            if cache.mode == "replay":
                raise cache.miss(key, call, body)
        answer = self._send(body)
        if cache is not None and cache.writes:
            cache.put(
                key,
                call,
                body,
                CachedAnswer(answer.response, answer.input_tokens, answer.output_tokens),
            )
        response = answer.response
        usage = Usage(answer.input_tokens, answer.output_tokens)
        return ModelResponse(response.text, response.tool_calls, usage=usage)

    def _fields(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "provider": self.spec.provider,
            "model": self.spec.model,
            "url": self._url(),
            "base_url": self.spec.base_url,
        }

    def _fail(self, template: str, status: int | None = None, **values: Any) -> ProviderError:
        message = template.format(**self._fields(), status=status, **values)
        return ProviderError(scrub(message, self._key), slug=self.slug, status=status)

    def _send(self, body: Mapping[str, Any]) -> WireAnswer:
        spec = self.spec
        params = {"api-version": spec.api_version} if spec.api_version else None
        attempts = 0
        while True:
            attempts += 1
            last_try = attempts > spec.max_retries
            try:
                reply = self.client().post(
                    self._url(), json=body, headers=self._headers(), params=params
                )
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) or last_try:
                    raise self._fail(TIMED_OUT, timeout=spec.timeout, attempts=attempts) from None
                self._sleep(self._backoff(attempts))
                continue
            except httpx.HTTPError as exc:
                raise self._fail(UNREACHABLE, kind=type(exc).__name__) from None
            status = reply.status_code
            if status < 400:
                return self._parse(reply)
            message = self._message(reply)
            if status in RETRY_STATUSES:
                wait = retry_after(reply.headers)
                if wait is not None and wait > spec.max_retry_wait:
                    raise self._fail(
                        RETRY_TOO_LONG, status, wait=wait, cap=spec.max_retry_wait, message=message
                    )
                if not last_try:
                    self._sleep(wait if wait is not None else self._backoff(attempts))
                    continue
                template = RATE_LIMITED if status == 429 else SERVER_ERROR
                raise self._fail(template, status, attempts=attempts, message=message)
            if status in (401, 403):
                raise self._fail(AUTH_FAILED, status, message=message, env=spec.key_env)
            if status == 404:
                raise self._fail(MODEL_NOT_FOUND, status, message=message)
            raise self._fail(BAD_REQUEST, status, message=message)

    def _backoff(self, attempts: int) -> float:
        return float(min(self.spec.max_retry_wait, 0.5 * 2 ** (attempts - 1)))

    def _message(self, reply: httpx.Response) -> str:
        try:
            payload: Any = reply.json()
        except ValueError:
            payload = None
        fallback = reply.text.strip()[:200] or reply.reason_phrase or "no message"
        return error_message(payload, fallback)

    def _parse(self, reply: httpx.Response) -> WireAnswer:
        parse = parse_anthropic if self.spec.protocol == "anthropic" else parse_openai
        try:
            return parse(reply.json())
        except (ValueError, MalformedReply) as exc:
            problem = str(exc) if isinstance(exc, MalformedReply) else "the body is not JSON"
            raise self._fail(
                MALFORMED,
                reply.status_code,
                problem=problem,
                head=reply.text[:80],
                protocol=self.spec.protocol,
            ) from None


def register_provider(
    registry: ModelRegistry,
    spec_text: str,
    *,
    environ: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """Parse ``spec_text``, read its key and register it in ``registry``; return its slug.

    The key is not needed when the registry's cache replays.

    :raises ProviderConfigError: a bad spec, or a required key that is not set.
    """
    spec = parse_provider_spec(spec_text)
    cache: ModelCache | None = registry.cache
    replaying = cache is not None and cache.mode == "replay"
    key = None if replaying else spec.key(environ)
    model = ProviderModel(spec, key=key, cache=cache, transport=transport)
    where = "replayed from the cache" if replaying else spec.base_url
    registry.register(spec.slug, model, description=f"{spec.provider} model {spec.model} ({where})")
    if spec.input_price is not None or spec.output_price is not None:
        registry.set_price(spec.slug, spec.input_price or 0.0, spec.output_price or 0.0)
    if cache is not None and cache.writes:
        cache.remember_model(spec.slug, {"spec": spec.source, **spec.describe()})
    return spec.slug


def register_recorded(registry: ModelRegistry) -> list[str]:
    """In replay mode, register every model of the cache's ``models.json`` not yet a provider.

    This is what lets a recorded suite replay with no model options: the slugs recorded (such
    as a demo slug a real model stood in for) answer from the cache.
    """
    cache: ModelCache | None = registry.cache
    if cache is None or cache.mode != "replay":
        return []
    added = []
    for slug, description in sorted(cache.manifest().items()):
        if slug in registry and isinstance(registry.get(slug), ProviderModel):
            continue
        source = str(description.get("spec") or "")
        if not source:
            continue
        added.append(register_provider(registry, source))
    return added

"""The model registry of the local backend: plain Python callables registered by slug.

Its public face, and the guide to writing a model (a callable from :class:`ModelRequest` to a
:class:`ModelResponse` or a ``str``, tool calls included), is :mod:`pytest_pipelines.local.models`,
which re-exports these names.

Nothing here does I/O except :meth:`ModelRegistry.load_spec` (an import) and the optional
latency sleep of :meth:`ModelRegistry.complete`.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard, overload

from pytest_pipelines.local._engine.errors import user_traceback
from pytest_pipelines.local._store.db import find_non_finite, spell

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
    "builtin_registry",
]

Role = Literal["system", "user", "assistant", "tool"]
#: the names that make a spec ``provider:model`` rather than ``module:attr`` (see docs)
PROVIDER_NAMES = (
    "openai",
    "anthropic",
    "azure",
    "ollama",
    "vllm",
    "lmstudio",
    "llamacpp",
    "openai-compatible",
)
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")

ECHO_SLUG = "echo"

UNKNOWN_MODEL_MESSAGE = (
    "no model is registered for slug {slug!r}; registered: {registered}. Register one with "
    "`pipelines-local serve --models package.module:attr`, the `pipelines_models` ini key of the "
    "pytest plugin, or `registry.register({slug!r}, fn)`"
)
MODEL_FAILED_MESSAGE = "model {slug!r} raised {kind}: {error}"
BAD_ANSWER_MESSAGE = (
    "model {slug!r} returned {kind}; a model must return a str or a ModelResponse "
    "(text and/or tool_calls)"
)
NO_TEXT_MESSAGE = (
    "model {slug!r} answered with tool calls but no text where a text answer was needed "
    "(judge prompts offer no tools); return a str or ModelResponse(text=...)"
)
SPEC_ACCEPTED_FORMS = (
    "accepted forms: 'package.module:attr' where attr is (1) a model callable, registered under "
    "its `slug` attribute or else its __name__; (2) a dict mapping slug -> callable; (3) a function "
    "whose single parameter is named `registry` (or annotated ModelRegistry), called with the "
    "registry to register models itself; or (4) a ModelRegistry whose models are copied"
)
BAD_SPEC_MESSAGE = "cannot load models from {spec!r}: {problem}; " + SPEC_ACCEPTED_FORMS
INVALID_SLUG_MESSAGE = (
    "invalid model slug {slug!r}: a slug is a non-empty string without whitespace, "
    "such as 'demo-planner' or 'my-org/model-1'"
)
NOT_CALLABLE_MESSAGE = (
    "model {slug!r} must be callable (ModelRequest -> ModelResponse | str), got {kind}"
)
BAD_LATENCY_MESSAGE = (
    "latency of model {slug!r} must be a finite number of seconds >= 0, got {latency!r}"
)
BAD_PRICE_MESSAGE = (
    "price of model {slug!r} must be two finite numbers >= 0 (USD per million input tokens, per "
    "million output tokens), got {price!r}"
)
NON_FINITE_ARGUMENTS_MESSAGE = (
    "model {slug!r} called tool {tool!r} with {value} at {where} of its arguments; NaN and "
    "Infinity are not JSON, so the call can be neither stored nor sent: make the model pass a "
    "finite number, null or a string there"
)
BAD_USAGE_MESSAGE = (
    "model {slug!r} reported Usage({name}={value!r}); a token count is a whole number >= 0, or "
    "None when unknown (the registry then estimates it): fix the model's Usage(...)"
)


#: other spec forms, tried before ``module:attr``: ``(matches(spec), load(registry, spec) ->
#: slugs)``. The provider adapters (``_engine/providers``) add ``provider:model`` on import; the
#: registry does not import them, so they can import the registry.
SPEC_LOADERS: list[tuple[Callable[[str], bool], Callable[[ModelRegistry, str], list[str]]]] = []


class ModelError(RuntimeError):
    """A registered model failed or answered something that is not a model answer."""

    def __init__(self, message: str, *, slug: str, traceback: str | None = None) -> None:
        super().__init__(message)
        self.slug = slug
        #: the model's own frames when the model raised (see ``errors.user_traceback``)
        self.traceback = traceback


class UnknownModelError(LookupError):
    """No model is registered under the requested slug."""

    def __init__(self, slug: str, registered: Iterable[str] = ()) -> None:
        names = sorted(registered)
        super().__init__(
            UNKNOWN_MODEL_MESSAGE.format(slug=slug, registered=", ".join(names) or "(none)")
        )
        self.slug = slug
        self.registered = tuple(names)


class BadModelSpecError(ValueError):
    """A ``package.module:attr`` model spec could not be loaded."""

    def __init__(self, spec: str, problem: str) -> None:
        super().__init__(BAD_SPEC_MESSAGE.format(spec=spec, problem=problem))
        self.spec = spec
        self.problem = problem


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: its name, a description and a JSON Schema of its input."""

    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolCall:
    """A model's request to call one tool. ``id`` links the ``role="tool"`` answer to it.

    :param id: default ``""``; the registry fills empty ids with ``call-<n>``.
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str = ""


@dataclass(frozen=True)
class Message:
    """One message of a conversation.

    ``role="tool"`` messages carry a tool's result as ``content`` (JSON text for structured
    results), the ``tool_call_id`` of the call they answer and the tool's ``name``.
    ``role="assistant"`` messages may carry the ``tool_calls`` the model made.
    """

    role: Role
    content: str
    tool_call_id: str | None = None
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"invalid message role {self.role!r}; valid roles: {', '.join(ROLES)}")


@dataclass(frozen=True)
class ModelRequest:
    """What a model receives.

    :param model: the slug the model was called under.
    :param prompt: the rendered prompt of the LLM field (placeholders filled).
    :param messages: the conversation so far: the prompt as a ``user`` message, then for each
        tool round the ``assistant`` message with its tool calls and one ``tool`` message per call.
    :param tools: the tools the model may call (empty when no tool is bound).
    :param temperature: default ``None`` (the field did not set one).
    :param metadata: default ``{}``; free-form context (task id, node id, field id, round).
    """

    model: str
    prompt: str
    messages: tuple[Message, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    temperature: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def offers(self, tool_name: str) -> bool:
        """Whether a tool of this name is offered to the model."""
        return any(tool.name == tool_name for tool in self.tools)

    def tool_results(self) -> tuple[Message, ...]:
        """The ``role="tool"`` messages of the conversation, oldest first."""
        return tuple(message for message in self.messages if message.role == "tool")

    def tool_calls_made(self) -> tuple[ToolCall, ...]:
        """Every tool call the model made so far in this conversation, oldest first."""
        return tuple(
            call
            for message in self.messages
            if message.role == "assistant"
            for call in message.tool_calls
        )


@dataclass(frozen=True)
class Usage:
    """What one model call consumed, as the model reports it.

    :param input_tokens: default ``None``: unknown (the registry then estimates it).
    :param output_tokens: default ``None``: unknown (the registry then estimates it).
    :param replayed: default ``False``; the answer came from the model-call cache.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    replayed: bool = False


@dataclass(frozen=True)
class ModelResponse:
    """A model's answer: text, tool calls, or both. An answer with tool calls asks for a round.

    :param usage: default ``None``; token counts when the model knows them (provider models
        do); without them the registry records an estimate marked as such.
    """

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None


ModelFn = Callable[[ModelRequest], ModelResponse | str]


SERVED_BY = "local"
"""What the task detail and the models list say served a model: this backend's registry."""


@dataclass(frozen=True)
class RegisteredModel:
    """A registry entry: the callable and its settings."""

    slug: str
    fn: ModelFn
    latency: float = 0.0
    description: str = ""
    #: the hosted model this local model stands in for (its slug is that model's), or None
    stand_in_for: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly description (what ``list_models`` serves)."""
        return {
            "slug": self.slug,
            "name": self.slug,
            "description": self.description,
            "latency": self.latency,
            "served_by": SERVED_BY,
            "stand_in_for": self.stand_in_for,
        }


def _check_slug(slug: object) -> str:
    if not isinstance(slug, str) or not slug or any(ch.isspace() for ch in slug):
        raise ValueError(INVALID_SLUG_MESSAGE.format(slug=slug))
    return slug


def _finite_at_least_zero(value: object) -> TypeGuard[int | float]:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and value >= 0
    )


def _check_latency(slug: str, latency: object) -> float:
    # NaN passed `latency < 0`, and then time.sleep(nan) raised in every call of the model
    if not _finite_at_least_zero(latency):
        raise ValueError(BAD_LATENCY_MESSAGE.format(slug=slug, latency=latency))
    return float(latency)


def _describe(fn: object) -> str:
    doc = inspect.getdoc(fn) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


class ModelRegistry:
    """A thread-safe map of model slug -> callable, with per-model latency.

    :param sleep: default :func:`time.sleep`; how :meth:`complete` waits out a model's latency
        (tests inject a fake).
    """

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep
        self._lock = threading.RLock()
        self._models: dict[str, RegisteredModel] = {}
        self._prices: dict[str, tuple[float, float]] = {}
        #: the model-call cache provider models use (``None``: calls always go out)
        self.cache: Any = None

    # --- registration -------------------------------------------------------------------------

    @overload
    def register(
        self,
        slug: str,
        fn: None = None,
        *,
        latency: float = 0.0,
        description: str = "",
        stand_in_for: str | None = None,
    ) -> Callable[[ModelFn], ModelFn]: ...

    @overload
    def register(
        self,
        slug: str,
        fn: ModelFn,
        *,
        latency: float = 0.0,
        description: str = "",
        stand_in_for: str | None = None,
    ) -> ModelFn: ...

    def register(
        self,
        slug: str,
        fn: ModelFn | None = None,
        *,
        latency: float = 0.0,
        description: str = "",
        stand_in_for: str | None = None,
    ) -> ModelFn | Callable[[ModelFn], ModelFn]:
        """Register ``fn`` under ``slug`` (replacing any model of that slug); return ``fn``.

        Without ``fn``, return a decorator: ``@registry.register("slug")``.

        :param latency: default ``0.0``; seconds :meth:`complete` waits before each call.
        :param description: default ``""``: the first paragraph of ``fn``'s docstring.
        :param stand_in_for: default None; the hosted model this local model imitates under
            that model's slug (the task detail and the models list say so, and reports mark
            its scores as a local stand-in's).
        """
        _check_slug(slug)
        seconds = _check_latency(slug, latency)

        def add(model: ModelFn) -> ModelFn:
            if not callable(model):
                raise TypeError(NOT_CALLABLE_MESSAGE.format(slug=slug, kind=type(model).__name__))
            entry = RegisteredModel(
                slug, model, seconds, description or _describe(model), stand_in_for
            )
            with self._lock:
                self._models[slug] = entry
            return model

        if fn is None:
            return add
        return add(fn)

    def unregister(self, slug: str) -> None:
        """Remove the model of ``slug``; :class:`UnknownModelError` if there is none."""
        with self._lock:
            if slug not in self._models:
                raise UnknownModelError(slug, self._models)
            del self._models[slug]

    def set_latency(self, slug: str, latency: float) -> None:
        """Change the latency of a registered model."""
        seconds = _check_latency(slug, latency)
        with self._lock:
            entry = self.entry(slug)
            self._models[slug] = dataclasses.replace(entry, latency=seconds)

    def update(self, other: ModelRegistry) -> None:
        """Copy every model of ``other`` into this registry (with its price)."""
        for entry in other.entries():
            with self._lock:
                self._models[entry.slug] = entry
                price = other.price(entry.slug)
                if price is not None:
                    self._prices[entry.slug] = price

    def set_price(self, slug: str, input_per_million: float, output_per_million: float) -> None:
        """Price the calls of ``slug``: USD per million input tokens and per million output tokens.

        A model without a price has calls of unknown cost (``cost_usd: null``), never $0.
        :class:`UnknownModelError` if ``slug`` is not registered (a typo in a price table).
        """
        price = (input_per_million, output_per_million)
        if not all(_finite_at_least_zero(p) for p in price):
            raise ValueError(BAD_PRICE_MESSAGE.format(slug=slug, price=price))
        with self._lock:
            self.entry(slug)
            self._prices[slug] = (float(price[0]), float(price[1]))

    def price(self, slug: str) -> tuple[float, float] | None:
        """The price of ``slug`` (USD per million input, output tokens), ``None`` when unset."""
        with self._lock:
            return self._prices.get(slug)

    # --- lookup -------------------------------------------------------------------------------

    def entry(self, slug: str) -> RegisteredModel:
        """The registry entry of ``slug``; :class:`UnknownModelError` if there is none."""
        with self._lock:
            found = self._models.get(slug)
            if found is None:
                raise UnknownModelError(slug, self._models)
            return found

    def get(self, slug: str) -> ModelFn:
        """The callable of ``slug``; :class:`UnknownModelError` if there is none."""
        return self.entry(slug).fn

    def __contains__(self, slug: object) -> bool:
        with self._lock:
            return slug in self._models

    def __len__(self) -> int:
        with self._lock:
            return len(self._models)

    def __iter__(self) -> Iterator[str]:
        return iter(self.slugs())

    def slugs(self) -> list[str]:
        """The registered slugs, sorted."""
        with self._lock:
            return sorted(self._models)

    def entries(self) -> list[RegisteredModel]:
        """The registry entries, sorted by slug."""
        with self._lock:
            return [self._models[slug] for slug in sorted(self._models)]

    def describe(self) -> list[dict[str, Any]]:
        """One JSON-friendly dict per model (slug, name, description, latency), sorted by slug."""
        return [entry.as_dict() for entry in self.entries()]

    def __repr__(self) -> str:
        return f"ModelRegistry(slugs={self.slugs()!r})"

    def close(self) -> None:
        """Close the models that hold resources (a provider model's HTTP connections)."""
        for entry in self.entries():
            close = getattr(entry.fn, "close", None)
            if callable(close):
                close()

    # --- loading user models -----------------------------------------------------------------

    def load_spec(self, spec: str) -> list[str]:
        """Register the models named by ``spec`` (``"package.module:attr"``); return their slugs.

        ``attr`` may be dotted (``module:Class.attr``) and is one of:

        1. a model callable: registered under its ``slug`` attribute if it has one, else its
           ``__name__`` (a ``latency`` attribute, if present, sets its latency);
        2. a dict (any mapping) of slug -> model callable;
        3. a function whose single parameter is named ``registry`` (or annotated
           ``ModelRegistry``): it is called with this registry and registers models itself;
        4. a :class:`ModelRegistry`: its models are copied.

        A spec that cannot be imported or resolved raises :class:`BadModelSpecError` (a
        ``ValueError``) naming the spec and these forms.
        """
        for matches, load in SPEC_LOADERS:
            if isinstance(spec, str) and matches(spec):
                return load(self, spec)
        if not isinstance(spec, str) or spec.count(":") != 1:
            raise BadModelSpecError(str(spec), "expected exactly one ':' between module and attr")
        module_name, _, attr_path = spec.partition(":")
        module_name, attr_path = module_name.strip(), attr_path.strip()
        if not module_name or not attr_path:
            raise BadModelSpecError(spec, "the module and the attr must both be non-empty")
        try:
            target: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise BadModelSpecError(
                spec,
                f"module {module_name!r} cannot be imported ({exc}), and it is not a model "
                f"provider ({', '.join(PROVIDER_NAMES)})",
            ) from exc
        for part in attr_path.split("."):
            try:
                target = getattr(target, part)
            except AttributeError as exc:
                raise BadModelSpecError(
                    spec, f"{module_name!r} has no attribute {attr_path!r}"
                ) from exc
        return self._load_object(spec, target)

    def _load_object(self, spec: str, target: Any) -> list[str]:
        if isinstance(target, ModelRegistry):
            self.update(target)
            return target.slugs()
        if isinstance(target, Mapping):
            if not target:
                raise BadModelSpecError(spec, "the dict of models is empty")
            added: list[str] = []
            for slug, fn in target.items():
                if not isinstance(slug, str) or not callable(fn):
                    raise BadModelSpecError(
                        spec,
                        f"the dict must map slug strings to callables; got {slug!r}: "
                        f"{type(fn).__name__}",
                    )
                self.register(slug, fn)
                added.append(slug)
            return added
        if not callable(target):
            raise BadModelSpecError(
                spec, f"the attribute is a {type(target).__name__}, not a callable or a dict"
            )
        if _takes_registry(target):
            before = {entry.slug: entry for entry in self.entries()}
            result = target(self)
            if isinstance(result, (Mapping, ModelRegistry)):
                self._load_object(spec, result)
            after = self.entries()
            changed = [e.slug for e in after if before.get(e.slug) is not e]
            if not changed:
                raise BadModelSpecError(spec, "the registration function registered no model")
            return changed
        slug = getattr(target, "slug", None) or getattr(target, "__name__", None)
        if not isinstance(slug, str):
            raise BadModelSpecError(spec, "the callable has neither a `slug` nor a __name__")
        latency = getattr(target, "latency", 0.0)
        try:
            self.register(slug, target, latency=latency)
        except ValueError as exc:
            raise BadModelSpecError(spec, str(exc)) from exc
        return [slug]

    # --- calling ------------------------------------------------------------------------------

    def complete(self, slug: str, request: ModelRequest) -> ModelResponse:
        """Call the model of ``slug`` with ``request`` and return its normalised answer.

        Waits the model's latency first (with the injected ``sleep``). A ``str`` answer becomes
        ``ModelResponse(text=...)``; tool calls without an id get ``call-<n>`` ids.

        :raises UnknownModelError: no model is registered for ``slug``.
        :raises ModelError: the model raised, or returned something that is not an answer.
        """
        entry = self.entry(slug)
        started = time.perf_counter()
        response: ModelResponse | None = None
        try:
            if entry.latency > 0:
                self._sleep(entry.latency)
            try:
                answer = entry.fn(request)
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError(
                    MODEL_FAILED_MESSAGE.format(slug=slug, kind=type(exc).__name__, error=exc),
                    slug=slug,
                    traceback=user_traceback(exc),
                ) from exc
            response = _normalise(slug, answer, len(request.tool_calls_made()))
            return response
        except ModelError as exc:
            self._meter(slug, request, None, started, str(exc))
            raise
        finally:
            if response is not None:
                self._meter(slug, request, response, started, None)

    def _meter(
        self,
        slug: str,
        request: ModelRequest,
        response: ModelResponse | None,
        started: float,
        error: str | None,
    ) -> None:
        from pytest_pipelines.local._engine.meter import cost_of, current, estimate_tokens

        meter = current()
        if meter is None:
            return
        usage = response.usage if response is not None else None
        input_tokens = usage.input_tokens if usage else None
        output_tokens = usage.output_tokens if usage else None
        estimated = False
        if response is None:
            input_tokens, output_tokens = 0, 0
        if input_tokens is None:
            input_tokens, estimated = estimate_tokens(_request_text(request)), True
        if output_tokens is None and response is not None:
            output_tokens, estimated = estimate_tokens(_response_text(response)), True
        meter.calls.append(
            {
                "model": slug,
                "purpose": str(request.metadata.get("purpose", "generation")),
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "tokens_estimated": estimated,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                "cost_usd": cost_of(input_tokens, output_tokens, self.price(slug)),
                "replayed": bool(usage and usage.replayed),
                "error": error,
            }
        )

    def judge(self, slug: str, prompt: str) -> str:
        """Ask the model of ``slug`` a judge prompt (no tools) and return its text answer.

        This is the ``judge`` callable that :func:`~pytest_pipelines.local._engine.criteria.evaluate_criterion`
        takes: ``judge=registry.judge``.
        """
        request = ModelRequest(
            model=slug,
            prompt=prompt,
            messages=(Message("user", prompt),),
            temperature=0.0,
            metadata={"purpose": "judge"},
        )
        response = self.complete(slug, request)
        if response.text is None:
            raise ModelError(NO_TEXT_MESSAGE.format(slug=slug), slug=slug)
        return response.text


def _takes_registry(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    if len(params) != 1:
        return False
    param = params[0]
    annotation = param.annotation
    if annotation is ModelRegistry:
        return True
    if isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "ModelRegistry":
        return True
    return param.name == "registry"


def _normalise(slug: str, answer: object, calls_so_far: int) -> ModelResponse:
    if isinstance(answer, str):
        return ModelResponse(text=answer)
    if not isinstance(answer, ModelResponse):
        raise ModelError(
            BAD_ANSWER_MESSAGE.format(slug=slug, kind=type(answer).__name__), slug=slug
        )
    if answer.text is not None and not isinstance(answer.text, str):
        raise ModelError(
            BAD_ANSWER_MESSAGE.format(slug=slug, kind=f"text of type {type(answer.text).__name__}"),
            slug=slug,
        )
    calls: list[ToolCall] = []
    for index, call in enumerate(answer.tool_calls):
        if not isinstance(call, ToolCall):
            raise ModelError(
                BAD_ANSWER_MESSAGE.format(
                    slug=slug, kind=f"a tool call of type {type(call).__name__}"
                ),
                slug=slug,
            )
        found = find_non_finite(call.arguments)
        if found is not None:
            where, number = found
            raise ModelError(
                NON_FINITE_ARGUMENTS_MESSAGE.format(
                    slug=slug, tool=call.name, value=spell(number), where=where
                ),
                slug=slug,
            )
        calls.append(
            call
            if call.id
            else ToolCall(call.name, call.arguments, f"call-{calls_so_far + index + 1}")
        )
    if answer.text is None and not calls:
        raise ModelError(
            BAD_ANSWER_MESSAGE.format(slug=slug, kind="an empty ModelResponse"), slug=slug
        )
    return ModelResponse(
        text=answer.text, tool_calls=tuple(calls), usage=_checked_usage(slug, answer.usage)
    )


def _token_count(slug: str, name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and value >= 0:  # 12.0 is a count
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        # NaN or Infinity would end the task's totals (int(nan) raises) or its stored usage
        raise ModelError(BAD_USAGE_MESSAGE.format(slug=slug, name=name, value=value), slug=slug)
    return value


def _checked_usage(slug: str, usage: object) -> Usage | None:
    if usage is None:
        return None
    if not isinstance(usage, Usage):
        raise ModelError(
            BAD_ANSWER_MESSAGE.format(slug=slug, kind=f"usage of type {type(usage).__name__}"),
            slug=slug,
        )
    return Usage(
        input_tokens=_token_count(slug, "input_tokens", usage.input_tokens),
        output_tokens=_token_count(slug, "output_tokens", usage.output_tokens),
        replayed=bool(usage.replayed),
    )


def _request_text(request: ModelRequest) -> str:
    parts = [m.content for m in request.messages] or [request.prompt]
    parts += [json.dumps(dict(c.arguments), default=str) for c in request.tool_calls_made()]
    parts += [f"{t.name} {t.description} {json.dumps(dict(t.input_schema))}" for t in request.tools]
    return "\n".join(parts)


def _response_text(response: ModelResponse) -> str:
    parts = [response.text or ""]
    parts += [f"{c.name} {json.dumps(dict(c.arguments), default=str)}" for c in response.tool_calls]
    return "\n".join(parts)


def echo_model(request: ModelRequest) -> str:
    """Answers the rendered prompt, unchanged."""
    return request.prompt


def builtin_registry(*, sleep: Callable[[float], None] = time.sleep) -> ModelRegistry:
    """A registry with the built-in ``echo`` model.

    :param sleep: default :func:`time.sleep`; see :class:`ModelRegistry`.
    """
    registry = ModelRegistry(sleep=sleep)
    registry.register(ECHO_SLUG, echo_model)
    return registry

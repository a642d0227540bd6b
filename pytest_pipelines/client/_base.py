"""Everything both clients share that does no I/O.

Settings resolution, headers and the User-Agent, request building, the retry decision and its
delay, mapping a response to an error, pagination bookkeeping, the adaptive poll schedule, payload
checks and artifact bundles. The async client (``_async_client.py``) adds the I/O loop; the sync
client is generated from it (``_codegen.py``).
"""

from __future__ import annotations

import email.utils
import io
import logging
import math
import os
import platform
import re
import ssl
import sys
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Union
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from pytest_pipelines._secret import Environ, Secret, mask, secret
from pytest_pipelines._version import __version__
from pytest_pipelines.client._exceptions import (
    MSG_CLIENT_CLOSED,
    ClientClosedError,
    PipelinesAPIError,
    PipelinesConfigError,
    PipelinesConnectionError,
    PipelinesError,
    PipelinesTimeoutError,
    RateLimitError,
    RequestTimeoutError,
    error_for_status,
    readable_detail,
)
from pytest_pipelines.client._models import (
    dump_payload,
    format_errors,
)

logger = logging.getLogger("pytest_pipelines")

PRODUCTION_URL = "https://api.pipelines.tech"
LOCAL_URL = "http://127.0.0.1:8700"
ENV_API_KEY = "PIPELINES_API_KEY"
ENV_BASE_URL = "PIPELINES_BASE_URL"
ENV_ENV = "PIPELINES_ENV"
ENV_DEBUG = "PIPELINES_DEBUG"

DEFAULT_TIMEOUT = 30.0

#: The environment variables httpx reads when it builds its default SSL context.
SSL_ENV_VARS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE")
_ssl_lock = threading.Lock()
_ssl_contexts: dict[tuple[str | None, ...], ssl.SSLContext] = {}


def default_ssl_context() -> ssl.SSLContext:
    """The SSL context a client gives the httpx client it builds for itself.

    It is what httpx builds by default (``httpx.create_ssl_context()``: certifi's CA bundle, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``; ``SSLKEYLOGFILE`` honoured), built once per process for
    each value of those variables instead of once per client: loading the CA bundle takes
    ~25 ms, and a plugin session opens several clients. An ``ssl.SSLContext`` is safe to share
    between connections and threads; verification stays on (certificates and host names).
    """
    key = tuple(os.environ.get(name) for name in SSL_ENV_VARS)
    with _ssl_lock:
        context = _ssl_contexts.get(key)
        if context is None:
            context = _ssl_contexts[key] = httpx.create_ssl_context(verify=True, trust_env=True)
        return context


class NotGiven:
    """The type of :data:`NOT_GIVEN`: an argument left at its default.

    ``timeout=`` defaults to it so that "not given" can be told from an explicit 30: without
    ``timeout=``, an injected ``http_client``'s own timeout applies (else ``DEFAULT_TIMEOUT``).
    """

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()
DEFAULT_MAX_RETRIES = 2
RETRY_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BACKOFF = 30.0
# A Retry-After longer than this is not slept through: the error is raised at once (its
# ``retry_after`` says how long the server asked for), so a script never hangs for an hour.
MAX_RETRY_AFTER = 60.0

TERMINAL_STATUSES = frozenset(
    {"completed", "failed", "cancelled", "partially_cancelled", "completed_with_partial_results"}
)
POLL_START = 0.05
POLL_FACTOR = 1.5
POLL_CAP = 2.0
DEFAULT_WAIT_TIMEOUT = 300.0

EXPORT_FORMATS = ("csv", "json", "zip", "zip-json")
DEFAULT_PAGE_SIZE = 50

MSG_MISSING_KEY = (
    "No Pipelines API key was given. Pass api_key=... to the client, set the "
    f"{ENV_API_KEY} environment variable, or (in pytest) use --pipelines-api-key."
)
MSG_BAD_ENV = (
    "{var}={value!r} is not a known deployment. Use 'production', 'local' "
    f"(= {LOCAL_URL}, or {ENV_BASE_URL} if set), or a URL such as https://pipelines.example.com."
)
MSG_BAD_BASE_URL = "base_url {value!r} is not an http(s) URL; give e.g. {prod!r} or {local!r}."
MSG_BAD_EXPORT_FORMAT = (
    "export format {value!r} is not supported; use one of: " + ", ".join(EXPORT_FORMATS) + "."
)
MSG_MARK_READ = (
    "mark_notifications_read needs exactly one of notification_ids=[...] (a non-empty list) "
    "or all=True; got {given}."
)
MSG_BAD_PAYLOAD = "invalid {what}: {details}. Fix the field(s) named and try again."
MSG_WAIT_TIMEOUT = (
    "{kind} {job_id!r} did not finish within {timeout:g}s (last status: {status!r}). "
    "Raise timeout=, or poll its status later; the job keeps running on the server."
)
MSG_BAD_POLL_INTERVAL = (
    "poll_interval must be a finite number of seconds >= 0, or None for the adaptive schedule; "
    "got {value!r}."
)
MSG_BAD_TIMEOUT = (
    "timeout must be a number of seconds >= 0, or None to wait forever; got {value!r}."
)
MSG_BAD_CLIENT_TIMEOUT = (
    "timeout must be a number of seconds > 0 per request, or None for no timeout; got {value!r}."
)
MSG_BAD_PAGE_SIZE = "page_size must be an int >= 1; got {value!r}."
MSG_BAD_MAX_PAGES = "max_pages must be an int >= 1, or None for no limit; got {value!r}."
MSG_BAD_START_PAGE = "params['page'] (the first page to fetch) must be an int >= 1; got {value!r}."
MSG_PAGE_SIZE_CONFLICT = (
    "page_size={arg!r} and params['page_size']={param!r} disagree; give the page size once "
    "(page_size= is the usual place)."
)
MSG_TEXT_FILE = (
    "file {name!r} is open in text mode; uploads need bytes: open it with open(path, 'rb'), "
    "or pass the path or the bytes."
)
MSG_DUPLICATE_EXPERIMENT_KEY = (
    "gives the same Idempotency-Key {key!r} as experiments[{other}] (keys are "
    "'<prefix>-<slug of name>'); give the experiments names that differ in letters or digits"
)
MSG_BAD_PAGE = (
    "GET {path} did not return a page: expected a list or an object with 'items' or 'data', "
    "got {got}."
)
MSG_BROKEN_STREAM = (
    "the connection of {where} broke while its body was being read ({error}); the chunks "
    "already yielded are all that arrived. Start the request again."
)
MSG_BAD_IDEMPOTENCY_KEY = (
    "idempotency key {value!r} cannot be sent as an HTTP header: use 1 to 255 visible ASCII "
    "characters (letters, digits, '-', '_', '.', ':'; no spaces or non-ASCII), e.g. 'ci-run-42'."
)
MSG_PAGE_NO_PROGRESS = (
    "GET {path} page {page} says next_page={next_page!r}, which does not move past it; "
    "stopping instead of asking for the same pages forever. Pass max_pages= or report the server."
)
MSG_BAD_RESPONSE = (
    "{where} got a response that could not be read ({error}); nothing usable arrived. "
    "Check the server or proxy in between."
)
MSG_BAD_JSON = "{method} {path} returned a body that is not valid JSON: {snippet!r}"
MSG_BAD_FILE = (
    "file must be a path (str or pathlib.Path), bytes, or a binary file object; got {got}."
)
MSG_BAD_TEMPLATE_KIND = "unknown bundle kind {kind!r}; use one of: {kinds}."

SyncSleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]


def DEFAULT_SYNC_SLEEP(seconds: float) -> None:
    """Sleep (sync default): :func:`time.sleep`."""
    time.sleep(seconds)


async def DEFAULT_ASYNC_SLEEP(seconds: float) -> None:
    """Sleep (async default): :func:`anyio.sleep`, so asyncio and trio both work."""
    import anyio

    await anyio.sleep(seconds)


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------


def _lower_scheme(url: str) -> str:
    """``HTTPS://Host/x`` -> ``https://Host/x``: a URL scheme is case-insensitive (RFC 3986)."""
    scheme, sep, rest = url.partition("://")
    return scheme.lower() + sep + rest if sep else url


def _check_url(value: str) -> str:
    url = _lower_scheme(value.strip().rstrip("/"))
    if not re.match(r"^https?://[^/\s]+", url):
        raise PipelinesConfigError(
            MSG_BAD_BASE_URL.format(value=value, prod=PRODUCTION_URL, local=LOCAL_URL)
        )
    return url


def resolve_base_url(
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
    *,
    http_client_base_url: str | None = None,
) -> str:
    """Explicit ``base_url`` > the injected ``http_client``'s own ``base_url`` >
    ``PIPELINES_BASE_URL`` > ``PIPELINES_ENV`` > production.

    ``PIPELINES_ENV`` is ``production``, ``local`` (``http://127.0.0.1:8700``) or a URL. Trailing
    slashes are stripped.
    """
    env = Environ(environ)  # its repr shows no values (-l tracebacks)
    if base_url:
        return _check_url(base_url)
    if http_client_base_url:
        return _check_url(http_client_base_url)
    if env.get(ENV_BASE_URL):
        return _check_url(env[ENV_BASE_URL])
    deployment = env.get(ENV_ENV, "").strip()
    if not deployment or deployment.lower() == "production":
        return PRODUCTION_URL
    if deployment.lower() == "local":
        return LOCAL_URL
    if re.match(r"^https?://", deployment, re.IGNORECASE):
        return _check_url(deployment)
    raise PipelinesConfigError(MSG_BAD_ENV.format(var=ENV_ENV, value=deployment))


def resolve_api_key(api_key: str | None, environ: Mapping[str, str] | None = None) -> Secret:
    """Explicit ``api_key`` > ``PIPELINES_API_KEY``; missing is a :class:`PipelinesConfigError`."""
    env = Environ(environ)  # its repr shows no values (-l tracebacks)
    key = Secret((api_key or env.get(ENV_API_KEY, "")).strip())
    if not key:
        raise PipelinesConfigError(MSG_MISSING_KEY)
    return key


def mask_key(key: str) -> str:
    """``pk_live_abc123`` -> ``pk_live_***``: the kind of key, never the secret part."""
    return mask(key)


def scrub(value: Any, key: str) -> Any:
    """``value`` with every occurrence of ``key`` masked (in strings, lists and dict values).

    A server that echoes the credentials it got (``invalid token pk_live_...``) must not put the
    key into an exception message or body.
    """
    if not key:
        return value
    if isinstance(value, str):
        return value.replace(key, mask(key)) if key in value else value
    if isinstance(value, list):
        return [scrub(v, key) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, key) for k, v in value.items()}
    return value


def user_agent() -> str:
    """``pytest-pipelines/<ver> <Impl>/<py> httpx/<ver>``."""
    return (
        f"pytest-pipelines/{__version__} "
        f"{platform.python_implementation()}/{platform.python_version()} "
        f"httpx/{httpx.__version__}"
    )


# On the logger, like the handler's count: every import of this module takes the same lock.
_DEBUG_LOCK: threading.Lock = logger.__dict__.setdefault("_pipelines_debug_lock", threading.Lock())


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes to whatever ``sys.stderr`` is at emit time.

    ``logging.StreamHandler()`` binds the stream it was created with; under pytest's capture
    (or after a pytester run closed it) that stream may be gone when a later record comes.
    """

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # emit runs under the handler's lock
        super().emit(record)


def configure_debug_logging(environ: Mapping[str, str] | None = None) -> Callable[[], None] | None:
    """With ``PIPELINES_DEBUG=1`` (or true/yes/on), log the ``pytest_pipelines`` logger at DEBUG.

    One handler serves every user at a time: the first call adds it (and sets the logger's level
    to DEBUG), later calls share it. Each call that took part returns its release; when the
    last one is called, the handler goes and the logger's level is what it was before. Without
    the variable, nothing changes and the result is None.

    The count lives on the handler, which lives on the logger: a second import of this module
    (an in-process pytester run re-imports the package) shares the handler, never duplicates it.
    """
    env = Environ(environ)  # its repr shows no values (-l tracebacks)
    if env.get(ENV_DEBUG, "").strip().lower() not in {"1", "true", "yes", "on"}:
        return None
    with _DEBUG_LOCK:
        handler = next((h for h in logger.handlers if getattr(h, "_pipelines_debug", False)), None)
        if handler is None:
            handler = _StderrHandler()
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
            )
            handler._pipelines_debug = True  # type: ignore[attr-defined]
            handler._pipelines_users = 0  # type: ignore[attr-defined]
            handler._pipelines_level = logger.level  # type: ignore[attr-defined]
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
        handler._pipelines_users += 1  # type: ignore[attr-defined]
    released = False

    def release() -> None:
        nonlocal released
        with _DEBUG_LOCK:
            if released:
                return
            released = True
            handler._pipelines_users -= 1  # type: ignore[attr-defined]
            if handler._pipelines_users <= 0 and handler in logger.handlers:  # type: ignore[attr-defined]
                logger.removeHandler(handler)
                logger.setLevel(handler._pipelines_level)  # type: ignore[attr-defined]
                handler.close()

    return release


def q(value: object) -> str:
    """Quote one path segment (ids may be strings such as ``exp-123``)."""
    return quote(str(value), safe="")


# ---------------------------------------------------------------------------------------------
# Payload checks (before any request)
# ---------------------------------------------------------------------------------------------


def checked(
    payload: Any, check: Callable[[Any], list[dict[str, Any]]] | None, what: str
) -> dict[str, Any]:
    """Dump models to plain data and run ``check``; raise :class:`PipelinesConfigError` on errors."""
    data = dump_payload(payload)
    if not isinstance(data, dict):
        raise PipelinesConfigError(
            MSG_BAD_PAYLOAD.format(
                what=what, details=f"expected an object, got {type(data).__name__}"
            )
        )
    if check is not None:
        errors = check(data)
        if errors:
            raise PipelinesConfigError(
                MSG_BAD_PAYLOAD.format(what=what, details=format_errors(errors)), errors
            )
    return data


def check_export_format(value: str) -> str:
    """Validate a dataset export format before the request."""
    if value not in EXPORT_FORMATS:
        raise PipelinesConfigError(MSG_BAD_EXPORT_FORMAT.format(value=value))
    return value


def mark_read_body(notification_ids: Sequence[int | str] | None, all: bool) -> dict[str, Any]:
    """Body of ``POST /api/notifications/mark-read``: exactly one of ids or ``all``."""
    has_ids = notification_ids is not None
    if has_ids == bool(all) or (has_ids and not list(notification_ids or [])):
        given = f"notification_ids={notification_ids!r}, all={all!r}"
        raise PipelinesConfigError(MSG_MARK_READ.format(given=given))
    if all:
        return {"all": True}
    return {"notification_ids": list(notification_ids or [])}


_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def check_idempotency_key(key: str) -> str:
    """An ``Idempotency-Key`` value: 1-255 visible ASCII characters (else PipelinesConfigError)."""
    if not isinstance(key, str) or not _IDEMPOTENCY_KEY.fullmatch(key):
        raise PipelinesConfigError(MSG_BAD_IDEMPOTENCY_KEY.format(value=key))
    return key


def confirm_body(size_bytes: int | None) -> dict[str, Any]:
    """Confirm-upload body: always a JSON object (an absent body is a 422)."""
    return {} if size_bytes is None else {"size_bytes": size_bytes}


def page_params(
    page: int | None, page_size: int | None, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Query params of one ``list_*`` call (``None`` values dropped)."""
    out = {k: v for k, v in params.items() if v is not None}
    if page is not None:
        out["page"] = page
    if page_size is not None:
        out["page_size"] = page_size
    return out


def file_part(file: FileInput, filename: str | None) -> tuple[str, bytes | IO[bytes]]:
    """Normalise the ``file`` argument of an upload to ``(filename, content)``.

    A text-mode file object is refused (uploads are bytes) with a message saying to use ``'rb'``.
    """
    if isinstance(file, io.TextIOBase):
        raise PipelinesConfigError(
            MSG_TEXT_FILE.format(name=getattr(file, "name", type(file).__name__))
        )
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        return filename or path.name, path.read_bytes()
    if isinstance(file, (bytes, bytearray)):
        return filename or "upload.csv", bytes(file)
    if isinstance(file, (io.IOBase,)) or hasattr(file, "read"):
        name = filename or os.path.basename(str(getattr(file, "name", "") or "")) or "upload.csv"
        return name, file
    raise PipelinesConfigError(MSG_BAD_FILE.format(got=type(file).__name__))


def form_fields(**fields: Any) -> dict[str, str]:
    """Multipart form fields with ``None`` dropped and values as strings."""
    return {k: str(v) for k, v in fields.items() if v is not None}


# ---------------------------------------------------------------------------------------------
# Pagination
# ---------------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_seconds(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and not math.isnan(value)
        and value >= 0
    )


class Pager:
    """Bookkeeping for one ``paginate`` walk: which page to ask for next, and when to stop.

    Stops when ``has_more`` is false, ``next_page`` is null, ``total`` items were seen, a page is
    empty, a page repeats the previous one (the server ignores ``page``), or after
    ``max_pages`` pages. A ``page`` in ``params`` is the first page fetched; a ``page_size`` in
    ``params`` is used when ``page_size`` is left at its default (different values in both are
    an error).
    """

    def __init__(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        page_size: int,
        max_pages: int | None,
    ) -> None:
        base = {k: v for k, v in (params or {}).items() if v is not None}
        start = base.pop("page", 1)
        if "page_size" in base:
            given = base.pop("page_size")
            if page_size == DEFAULT_PAGE_SIZE:
                page_size = given
            elif given != page_size:
                raise PipelinesConfigError(
                    MSG_PAGE_SIZE_CONFLICT.format(arg=page_size, param=given)
                )
        if not _is_int(page_size) or page_size < 1:
            raise PipelinesConfigError(MSG_BAD_PAGE_SIZE.format(value=page_size))
        if max_pages is not None and (not _is_int(max_pages) or max_pages < 1):
            raise PipelinesConfigError(MSG_BAD_MAX_PAGES.format(value=max_pages))
        if not _is_int(start) or start < 1:
            raise PipelinesConfigError(MSG_BAD_START_PAGE.format(value=start))
        self.path = path
        self.base_params = base
        self.page_size = page_size
        self.max_pages = max_pages
        self.page = start
        self.pages_seen = 0
        self.items_seen = 0
        self.done = False
        self._last_items: list[Any] | None = None

    def params(self) -> dict[str, Any]:
        """Query params of the next request."""
        return {**self.base_params, "page": self.page, "page_size": self.page_size}

    def consume(self, body: Any) -> list[Any]:
        """Take one page body; return its items and update ``done`` / the next page number."""
        self.pages_seen += 1
        next_page: int | None = self.page + 1
        if isinstance(body, list):
            items = body
        elif isinstance(body, Mapping) and (
            isinstance(body.get("items"), list) or isinstance(body.get("data"), list)
        ):
            items = body["items"] if isinstance(body.get("items"), list) else body["data"]
            if body.get("has_more") is False:
                self.done = True
            if "next_page" in body:
                if body["next_page"] is None:
                    self.done = True
                else:
                    raw = body["next_page"]
                    if isinstance(raw, str) and _is_ascii_digits(raw.strip()):
                        raw = int(raw)
                    if not _is_int(raw) or raw <= self.page:
                        raise PipelinesError(
                            MSG_PAGE_NO_PROGRESS.format(
                                path=self.path, page=self.page, next_page=raw
                            )
                        )
                    next_page = raw
            total = body.get("total")
            if isinstance(total, int) and self.items_seen + len(items) >= total:
                self.done = True
        else:
            got = f"keys {sorted(body)}" if isinstance(body, Mapping) else type(body).__name__
            raise PipelinesError(MSG_BAD_PAGE.format(path=self.path, got=got))
        if items and items == self._last_items:
            # the server ignores ``page`` (same page again): stop instead of looping forever
            self.done = True
            return []
        self._last_items = list(items)
        self.items_seen += len(items)
        if not items:
            self.done = True
        if self.max_pages is not None and self.pages_seen >= self.max_pages:
            self.done = True
        if next_page is not None:
            self.page = next_page
        return list(items)


# ---------------------------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------------------------


def poll_delays(poll_interval: float | None = None) -> Iterator[float]:
    """The endless schedule of delays between polls, as the ``wait_for_*`` waiters use it.

    ``poll_interval=None`` (default) is adaptive: ``POLL_START`` (0.05 s), growing x
    ``POLL_FACTOR`` (1.5) up to ``POLL_CAP`` (2 s) -- quick jobs return quickly and long ones
    are not hammered. A number gives that fixed delay. Use it to write your own poll loop::

        delays = poll_delays()
        while not done():
            time.sleep(next(delays))

    :raises PipelinesConfigError: at once when ``poll_interval`` is not a finite number >= 0.
    """
    if poll_interval is not None and not (
        _is_seconds(poll_interval) and math.isfinite(poll_interval)
    ):
        raise PipelinesConfigError(MSG_BAD_POLL_INTERVAL.format(value=poll_interval))
    return _poll_schedule(poll_interval)


def _poll_schedule(poll_interval: float | None) -> Iterator[float]:
    if poll_interval is not None:
        while True:
            yield poll_interval
    delay = POLL_START
    while True:
        yield delay
        delay = min(delay * POLL_FACTOR, POLL_CAP)


def status_of(body: Any) -> str | None:
    """The ``status`` field of a job/experiment body, if any."""
    if isinstance(body, Mapping):
        status = body.get("status")
        return str(status) if status is not None else None
    return None


def is_terminal(body: Any) -> bool:
    """True when the job/experiment body has a terminal status (see SHAPES.md)."""
    return status_of(body) in TERMINAL_STATUSES


class Deadline:
    """The time budget of one waiter, measured with an injectable clock."""

    def __init__(self, kind: str, job_id: object, timeout: float | None, clock: Clock) -> None:
        if timeout is not None and not _is_seconds(timeout):
            raise PipelinesConfigError(MSG_BAD_TIMEOUT.format(value=timeout))
        self.kind = kind
        self.job_id = job_id
        self.timeout = timeout
        self.clock = clock
        self.end = None if timeout is None else clock() + timeout

    def next_sleep(self, delay: float, last: Any) -> float:
        """How long to sleep before the next poll; raise when the budget is spent."""
        if self.end is None:
            return delay
        remaining = self.end - self.clock()
        if remaining <= 0:
            raise PipelinesTimeoutError(
                MSG_WAIT_TIMEOUT.format(
                    kind=self.kind,
                    job_id=self.job_id,
                    timeout=self.timeout,
                    status=status_of(last),
                )
            )
        return min(delay, remaining)

    def bound(self, seconds: float) -> float:
        """``seconds``, or what is left of the budget when that is less (never below 0)."""
        if self.end is None:
            return seconds
        return max(0.0, min(seconds, self.end - self.clock()))


# ---------------------------------------------------------------------------------------------
# Artifact bundles
# ---------------------------------------------------------------------------------------------

BUNDLE_ARTIFACT_TYPE = "pipelines.artifact.bundle.v1"
# Push order (SHAPES.md).
BUNDLE_SECTIONS: tuple[str, ...] = (
    "prompts",
    "criteria",
    "evaluations",
    "tool_endpoints",
    "tool_bindings",
    "tool_ground_truths",
    "experiments",
)
BUNDLE_META_KEYS = frozenset({"artifact_type", "name", "description", "version", "metadata"})
TEMPLATE_KINDS: dict[str, str] = {
    "prompts": "prompts",
    "criteria": "criteria",
    "evaluations": "evaluations",
    "tool-endpoints": "tool_endpoints",
    "tool-bindings": "tool_bindings",
    "tool-ground-truths": "tool_ground_truths",
    "experiments": "experiments",
}
_REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "prompts": ("name", "prompt_text"),
    "criteria": (),  # checked by criterion_errors
    "evaluations": ("name",),
    "tool_endpoints": ("org_id", "name"),
    "tool_bindings": ("workflow_id",),
    "tool_ground_truths": ("workflow_id",),
    "experiments": ("name", "project_id", "workflow_id", "payload"),
}
MSG_BAD_BUNDLE = (
    "invalid artifact bundle: {details}. Fix the field(s) named; "
    "artifact_bundle_template(kind=...) returns a valid starting point."
)

_TEMPLATE_ITEMS: dict[str, dict[str, Any]] = {
    "prompts": {
        "name": "Concise prompt",
        "description": "What this prompt is for",
        "prompt_text": "Answer in one short paragraph: {{question}}",
        "role": "user",
        "scope_type": "org",
        "org_id": 2,
    },
    "criteria": {
        "name": "Mentions the key facts",
        "display_label": "Mentions the key facts",
        "type": "programmatic",
        "config": {"subtype": "contains_keywords", "keywords": ["example"], "mode": "any"},
        "output_schema": {"type": "boolean"},
        "scope_type": "org",
        "org_id": 2,
    },
    "evaluations": {
        "name": "Quality evaluation",
        "description": "Scores answer quality",
        "criteria": [{"criterion_id": 1}],
        "scope_type": "org",
        "org_id": 2,
    },
    "tool_endpoints": {
        "org_id": 2,
        "name": "Docs MCP endpoint",
        "description": "Search internal docs",
        "endpoint_type": "mcp_server",
        "url": "https://tools.example.com/mcp",
        "auth_type": "none",
        "auth_config": {},
    },
    "tool_bindings": {
        "workflow_id": 10,
        "node_id": "node-id-from-configurable-fields",
        "field_id": "field-id-from-configurable-fields",
        "endpoint_id": 1,
        "selected_tools": ["search_docs"],
        "max_tool_rounds": 3,
    },
    "tool_ground_truths": {
        "workflow_id": 10,
        "node_id": "node-id-from-configurable-fields",
        "field_id": "field-id-from-configurable-fields",
        "expected_tools": [{"name": "search_docs"}],
        "excluded_tools": [{"name": "delete_record"}],
        "ordering_matters": False,
        "source": "manual",
        "confidence": 1.0,
    },
    "experiments": {
        "name": "baseline-vs-new-prompt",
        "project_id": 22,
        "workflow_id": 10,
        "payload": {
            "count": 1,
            "variants": [
                {"name": "baseline", "configOverrides": {}},
                {
                    "name": "new-model",
                    "configOverrides": {
                        "models": [
                            {"nodeId": "node-id-from-configurable-fields", "modelSlug": "echo"}
                        ]
                    },
                },
            ],
        },
    },
}


def artifact_bundle_template(kind: str) -> dict[str, Any]:
    """A starter bundle for one artifact family (``prompts``, ``criteria``, ``tool-endpoints`` ...)."""
    key = TEMPLATE_KINDS.get(kind) or TEMPLATE_KINDS.get(kind.replace("_", "-"))
    if key is None:
        raise PipelinesConfigError(
            MSG_BAD_TEMPLATE_KIND.format(kind=kind, kinds=", ".join(TEMPLATE_KINDS))
        )
    bundle: dict[str, Any] = {"artifact_type": BUNDLE_ARTIFACT_TYPE, "name": f"my-{kind}-bundle"}
    for section in BUNDLE_SECTIONS:
        bundle[section] = [dict(_TEMPLATE_ITEMS[section])] if section == key else []
    copied: dict[str, Any] = _deep_copy(bundle)
    return copied


def _deep_copy(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _deep_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_deep_copy(v) for v in obj]
    return obj


def bundle_errors(bundle: Any) -> list[dict[str, Any]]:
    """Every problem of an artifact bundle, FastAPI-style (empty when it can be pushed)."""
    from pytest_pipelines.client._models import (
        criterion_errors,
        experiment_errors,
    )

    if not isinstance(bundle, Mapping):
        return [{"loc": [], "msg": "a bundle must be a JSON object", "type": "dict_type"}]
    errors: list[dict[str, Any]] = []
    if bundle.get("artifact_type") != BUNDLE_ARTIFACT_TYPE:
        errors.append(
            {
                "loc": ["artifact_type"],
                "msg": f"must be {BUNDLE_ARTIFACT_TYPE!r}, got {bundle.get('artifact_type')!r}",
                "type": "value_error",
            }
        )
    for key in bundle:
        if key not in BUNDLE_META_KEYS and key not in BUNDLE_SECTIONS:
            errors.append(
                {
                    "loc": [key],
                    "msg": "unknown section; valid sections: " + ", ".join(BUNDLE_SECTIONS),
                    "type": "extra_forbidden",
                }
            )
    for section in BUNDLE_SECTIONS:
        items = bundle.get(section, [])
        if items is None:
            continue
        if not isinstance(items, list):
            errors.append(
                {"loc": [section], "msg": "must be a list of objects", "type": "list_type"}
            )
            continue
        for index, item in enumerate(items):
            loc: list[str | int] = [section, index]
            if not isinstance(item, Mapping):
                errors.append({"loc": loc, "msg": "must be an object", "type": "dict_type"})
                continue
            for key in _REQUIRED_KEYS[section]:
                if item.get(key) in (None, ""):
                    errors.append({"loc": [*loc, key], "msg": "Field required", "type": "missing"})
            if section == "criteria":
                for err in criterion_errors(item):
                    errors.append({**err, "loc": [*loc, *err["loc"]]})
            if section == "experiments":
                payload = item.get("payload")
                if payload is not None and not isinstance(payload, Mapping):
                    errors.append(
                        {"loc": [*loc, "payload"], "msg": "must be an object", "type": "dict_type"}
                    )
                elif isinstance(payload, Mapping):
                    for err in experiment_errors(payload):
                        errors.append({**err, "loc": [*loc, "payload", *err["loc"]]})
    return errors


def validate_bundle(bundle: Any) -> dict[str, Any]:
    """Dump and check a bundle; raise :class:`PipelinesConfigError` listing every problem."""
    data = dump_payload(bundle)
    errors = bundle_errors(data)
    if errors:
        raise PipelinesConfigError(MSG_BAD_BUNDLE.format(details=format_errors(errors)), errors)
    return dict(data)


def slugify(name: str) -> str:
    """``"New Prompt v2!"`` -> ``"new-prompt-v2"``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "experiment"


def experiment_keys(
    experiments: Sequence[Mapping[str, Any]], prefix: str | None
) -> list[str | None]:
    """The Idempotency-Key of each bundle experiment: ``<prefix>-<slug of its name>``.

    ``None`` each without a prefix. Two names with the same slug would share a key (the second
    push would be a 409 after the first ran), so that is a :class:`PipelinesConfigError` naming
    both indexes, raised before any request.
    """
    if not prefix:
        return [None] * len(experiments)
    keys: list[str | None] = []
    seen: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    check_idempotency_key(f"{prefix}-x")
    for index, item in enumerate(experiments):
        key = check_idempotency_key(f"{prefix}-{slugify(artifact_label(item))}")
        if key in seen:
            errors.append(
                {
                    "loc": ["experiments", index, "name"],
                    "msg": MSG_DUPLICATE_EXPERIMENT_KEY.format(key=key, other=seen[key]),
                    "type": "value_error",
                }
            )
        seen.setdefault(key, index)
        keys.append(key)
    if errors:
        raise PipelinesConfigError(MSG_BAD_BUNDLE.format(details=format_errors(errors)), errors)
    return keys


def artifact_label(item: Mapping[str, Any]) -> str:
    """The name shown in a push summary (bindings/ground truths may have none: node.field)."""
    name = item.get("name")
    if name:
        return str(name)
    return f"{item.get('node_id', '?')}.{item.get('field_id', '?')}"


def created_id(response: Any) -> Any:
    """The ``id`` of a create response."""
    return response.get("id") if isinstance(response, Mapping) else None


def empty_summary(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """The summary skeleton: every section present, empty."""
    return {
        "artifact_type": bundle.get("artifact_type", BUNDLE_ARTIFACT_TYPE),
        "name": bundle.get("name"),
        "created": {section: [] for section in BUNDLE_SECTIONS},
    }


def split_route_key(item: Any, key: str) -> tuple[Any, dict[str, Any]]:
    """Take ``key`` (e.g. ``workflow_id``) out of an artifact: ``(value, body without it)``."""
    body = dict(dump_payload(item))
    if body.get(key) in (None, ""):
        raise PipelinesConfigError(
            MSG_BAD_PAYLOAD.format(what="artifact", details=f"{key}: Field required")
        )
    return body.pop(key), body


# ---------------------------------------------------------------------------------------------
# The shared base
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    api_key: Secret  # masked in repr, so -l tracebacks and debuggers do not show it
    base_url: str


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() is also true for '²' and other scripts' digits, which int() rejects or reads
    return text.isascii() and text.isdigit()


def _retry_after_seconds(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    # float() alone would also take Arabic-Indic digits and '1_0': a header is ASCII
    # (RFC 9110 delay-seconds); anything else is tried as an HTTP-date, then ignored.
    if raw.isascii() and "_" not in raw:
        try:
            seconds = float(raw)
        except ValueError:
            pass
        else:
            return None if math.isnan(seconds) else max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_delay(retry_after: float | None, attempt: int) -> float:
    """Seconds before retry ``attempt + 1``: ``retry_after`` when the server gave one, else
    ``min(2**attempt, 30)`` (``attempt`` counts from 0).

    The one backoff rule of the clients and of the pytest plugin's retries of the requests the
    clients do not retry themselves.
    """
    if retry_after is not None:
        return retry_after
    return float(min(2**attempt, MAX_BACKOFF))


class BaseClient:
    """Settings, headers, request building, retries and error mapping for both clients."""

    _http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | NotGiven | None,
        max_retries: int,
        clock: Clock | None,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
    ) -> None:
        # Rebinding the argument hides it from pytest's -l (locals) tracebacks of this frame.
        api_key = secret(api_key)
        if not _is_int(max_retries) or max_retries < 0:
            raise PipelinesConfigError(f"max_retries must be an int >= 0, got {max_retries!r}.")
        if isinstance(timeout, NotGiven):
            # not given: an injected client keeps its own timeout; ours uses the default
            timeout = DEFAULT_TIMEOUT if http_client is None else NOT_GIVEN
        elif timeout is not None and not (_is_seconds(timeout) and timeout > 0):
            raise PipelinesConfigError(MSG_BAD_CLIENT_TIMEOUT.format(value=timeout))
        injected = str(http_client.base_url) if http_client is not None else ""
        self._settings = _Settings(
            resolve_api_key(api_key),
            resolve_base_url(base_url, http_client_base_url=injected or None),
        )
        self._closed = False
        self._timeout: float | NotGiven | None = timeout
        self._max_retries = max_retries
        self._clock: Clock = clock or time.monotonic
        self._user_agent = user_agent()
        # PIPELINES_DEBUG's handler stays while this client is open: close() releases it, and
        # so does the garbage collector for a client nobody closed.
        release = configure_debug_logging()
        self._debug_logging = weakref.finalize(self, release) if release is not None else None

    # -- public read-only settings ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The resolved base URL (no trailing slash)."""
        return self._settings.base_url

    @property
    def api_key(self) -> str:
        """The API key in use (never shown in repr, logs or errors)."""
        return self._settings.api_key

    @property
    def max_retries(self) -> int:
        """Retries of a retryable request (default 2)."""
        return self._max_retries

    @property
    def timeout(self) -> float | None:
        """Per-request timeout in seconds.

        Without ``timeout=``, an injected ``http_client``'s own (read) timeout.
        """
        if isinstance(self._timeout, NotGiven):
            return self._http.timeout.read
        return self._timeout

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"api_key={mask_key(self.api_key)!r}, max_retries={self._max_retries})"
        )

    @property
    def is_closed(self) -> bool:
        """True after ``close()`` / ``aclose()`` (or when an injected HTTP client was closed)."""
        return self._closed or self._http.is_closed

    def _end_debug_logging(self) -> None:
        """Release this client's share of the ``PIPELINES_DEBUG`` handler (at close)."""
        if self._debug_logging is not None:
            self._debug_logging()

    def _check_open(self) -> None:
        if self.is_closed:
            raise ClientClosedError(MSG_CLIENT_CLOSED.format(cls=type(self).__name__))

    # -- requests -----------------------------------------------------------------------------

    def _headers(
        self,
        *,
        accept: str = "application/json",
        idempotency_key: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        headers = {
            # masked in repr (showlocals of this frame); httpx masks it in Headers too
            "Authorization": Secret(f"Bearer {self.api_key}"),
            "Accept": accept,
            "User-Agent": self._user_agent,
        }
        if idempotency_key:
            headers["Idempotency-Key"] = check_idempotency_key(idempotency_key)
        if extra:
            headers.update(extra)
        return headers

    def _url(self, path: str) -> str:
        if re.match(r"^https?://", path):
            return path
        return self.base_url + ("" if path.startswith("/") else "/") + path

    def _build_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        accept: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        url = self._url(path)
        all_headers = self._headers(accept=accept, idempotency_key=idempotency_key, extra=headers)
        if not self._same_origin(url):
            # an absolute URL elsewhere (a presigned upload_url, a link in a body): the API key
            # is for the Pipelines API only and is not sent to another host
            all_headers.pop("Authorization", None)
        return self._http.build_request(
            method.upper(),
            url,
            params=clean_params or None,
            json=dump_payload(json) if json is not None else None,
            files=files,
            data=data,
            headers=all_headers,
            # NOT_GIVEN: the injected client's own timeout (httpx's "use the client default")
            timeout=httpx.USE_CLIENT_DEFAULT
            if isinstance(self._timeout, NotGiven)
            else self._timeout,
        )

    def _same_origin(self, url: str) -> bool:
        """Whether ``url`` is on the API's scheme, host and port."""
        mine, other = httpx.URL(self.base_url), httpx.URL(url)
        return (mine.scheme, mine.host, mine.port) == (other.scheme, other.host, other.port)

    # -- retries ------------------------------------------------------------------------------

    def _may_retry(self, request: httpx.Request, status: int | None, attempt: int) -> bool:
        """Retry only safe or idempotency-keyed requests, on 429/502/503/504 or no response."""
        if attempt >= self._max_retries:
            return False
        if status is not None and status not in RETRY_STATUSES:
            return False
        return request.method in SAFE_METHODS or "Idempotency-Key" in request.headers

    def _retry_delay(self, response: httpx.Response | None, attempt: int) -> float:
        """``Retry-After`` when present, else ``min(2**attempt, 30)`` (attempt counts from 0)."""
        return retry_delay(_retry_after_seconds(response), attempt)

    def _retry_plan(
        self, request: httpx.Request, response: httpx.Response | None, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying, or ``None`` when the request must not be retried.

        Not retried: see :meth:`_may_retry`, and a ``Retry-After`` above ``MAX_RETRY_AFTER``
        (60 s; the error is raised at once and carries ``retry_after``).
        """
        status = None if response is None else response.status_code
        if not self._may_retry(request, status, attempt):
            return None
        delay = self._retry_delay(response, attempt)
        if delay > MAX_RETRY_AFTER:
            logger.info(
                "not retrying %s %s: Retry-After %.0fs is above %.0fs",
                request.method,
                request.url.path,
                delay,
                MAX_RETRY_AFTER,
            )
            return None
        return delay

    def _log_retry(self, request: httpx.Request, what: str, attempt: int, delay: float) -> None:
        logger.info(
            "retrying %s %s after %s (retry %d of %d, in %.2fs)",
            request.method,
            request.url.path,
            what,
            attempt + 1,
            self._max_retries,
            delay,
        )

    def _log_response(
        self, request: httpx.Request, response: httpx.Response, started: float
    ) -> None:
        logger.debug(
            "%s %s -> %d (%.1f ms)",
            request.method,
            request.url.path,
            response.status_code,
            (self._clock() - started) * 1000.0,
        )

    # -- errors -------------------------------------------------------------------------------

    def _api_error(self, request: httpx.Request, response: httpx.Response) -> PipelinesAPIError:
        """The typed error of a (read) non-2xx response."""
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text or None
        body = scrub(body, self.api_key)  # a server may echo the credentials it got
        reason = response.reason_phrase or "error"
        message = scrub(readable_detail(body, f"{response.status_code} {reason}"), self.api_key)
        cls = error_for_status(response.status_code)
        path = request.url.path
        if cls is RateLimitError:
            return RateLimitError(
                message,
                status_code=response.status_code,
                body=body,
                method=request.method,
                path=path,
                retry_after=_retry_after_seconds(response),
            )
        return cls(
            message, status_code=response.status_code, body=body, method=request.method, path=path
        )

    def _transport_error(
        self, request: httpx.Request, exc: httpx.RequestError, *, reading: bool = False
    ) -> PipelinesError:
        where = f"{request.method} {request.url.copy_with(query=None)}"
        if not isinstance(exc, httpx.TransportError):  # DecodingError, TooManyRedirects
            return PipelinesConnectionError(
                MSG_BAD_RESPONSE.format(where=where, error=f"{type(exc).__name__}: {exc}")
            )
        if reading and not isinstance(exc, httpx.TimeoutException):
            return PipelinesConnectionError(
                MSG_BROKEN_STREAM.format(where=where, error=f"{type(exc).__name__}: {exc}")
            )
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimeoutError(
                f"{where} timed out ({type(exc).__name__}) after {self.timeout}s; "
                "raise timeout= or check the server."
            )
        return PipelinesConnectionError(
            f"could not reach {where}: {type(exc).__name__}: {exc}. "
            "Check base_url / PIPELINES_ENV and that the server is up."
        )

    def _decode(self, request: httpx.Request, response: httpx.Response) -> Any:
        """Decode a 2xx JSON body (``None`` for an empty body)."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            pass
        # raised outside the except block: the JSONDecodeError (which holds the whole body,
        # maybe an echoed key) is not kept as __context__
        text = scrub(response.text, self.api_key)
        raise PipelinesAPIError(
            MSG_BAD_JSON.format(method=request.method, path=request.url.path, snippet=text[:200]),
            status_code=response.status_code,
            body=text,
            method=request.method,
            path=request.url.path,
        )


__all__ = [
    "BUNDLE_ARTIFACT_TYPE",
    "BUNDLE_SECTIONS",
    "DEFAULT_ASYNC_SLEEP",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_SYNC_SLEEP",
    "DEFAULT_TIMEOUT",
    "EXPORT_FORMATS",
    "LOCAL_URL",
    "MAX_RETRY_AFTER",
    "NOT_GIVEN",
    "PRODUCTION_URL",
    "RETRY_STATUSES",
    "TERMINAL_STATUSES",
    "AsyncSleep",
    "BaseClient",
    "Clock",
    "Deadline",
    "FileInput",
    "NotGiven",
    "Pager",
    "SyncSleep",
    "artifact_bundle_template",
    "bundle_errors",
    "poll_delays",
    "resolve_api_key",
    "resolve_base_url",
    "retry_delay",
    "user_agent",
    "validate_bundle",
]


Id = Union[int, str]  # noqa: UP007
Payload = Union[Mapping[str, Any], "BaseModel"]


def body(payload: Payload | None) -> Any:
    """The JSON body of a write: the payload as plain data, ``{}`` when none is given."""
    return {} if payload is None else dump_payload(payload)

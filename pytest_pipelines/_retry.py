"""Retries of the plugin's requests that the client does not retry on its own.

The client retries GET/HEAD/OPTIONS and POSTs with an ``Idempotency-Key`` (the published SDK's
policy, see ``client/_base.py``); the plugin gives it ``--pipelines-max-retries``. The plugin's
other requests are made safe to repeat here, with the same budget (the client's ``max_retries``)
and the same backoff (:func:`~pytest_pipelines.client.retry_delay`, which honours
``Retry-After``):

- a DELETE is idempotent (RFC 9110): it is retried, and a 404 after a retry counts as deleted
  (the first attempt went through and its answer was lost);
- a create of an ephemeral object: the hosted API honours ``Idempotency-Key`` only on task,
  experiment and test-run creates, so a create is made idempotent by its run-unique name: after
  a 5xx or a lost connection the object is looked up by that name before trying again. A 429 was
  not processed (RFC 6585), so no lookup is needed;
- a computation with no lasting effect (tool-correctness evaluation) is simply repeated.

Only transient failures are retried: 429, 502, 503, 504 and connection errors (timeouts
included). A ``Retry-After`` above ``MAX_RETRY_AFTER`` is not waited for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: The plugin's retry budget per request when neither --pipelines-max-retries nor the ini key
#: pipelines_max_retries is given. Without Retry-After the waits are 1, 2, 4, 8 and 16 s: a
#: platform hiccup of up to half a minute costs a CI run time, not a red build.
DEFAULT_MAX_RETRIES = 5


def pause(seconds: float) -> None:
    """Wait between retries (:func:`time.sleep`); the plugin's client waits through it too."""
    time.sleep(seconds)


def client_sleep(seconds: float) -> None:
    """The ``sleep=`` of the plugin's clients: looks :func:`pause` up at call time."""
    pause(seconds)


def transient_delay(exc: BaseException, attempt: int, max_retries: int) -> float | None:
    """Seconds to wait before retrying after ``exc``, or ``None`` when it must not be retried.

    :param attempt: retries made so far (0 before the first retry).
    :param max_retries: the retry budget (the client's ``max_retries``).
    """
    from pytest_pipelines.client import (
        MAX_RETRY_AFTER,
        RETRY_STATUSES,
        PipelinesConnectionError,
        RateLimitError,
        ServerError,
        retry_delay,
    )

    if attempt >= max_retries:
        return None
    retry_after: float | None = None
    if isinstance(exc, RateLimitError):
        retry_after = exc.retry_after
    elif isinstance(exc, ServerError):
        if exc.status_code not in RETRY_STATUSES:
            return None
    elif not isinstance(exc, PipelinesConnectionError):
        return None
    delay = retry_delay(retry_after, attempt)
    return None if delay > MAX_RETRY_AFTER else delay


def _budget(client: Any) -> int:
    return int(getattr(client, "max_retries", 0))


def repeat(client: Any, call: Callable[[], T]) -> T:
    """Run ``call`` (a request that may be repeated), retrying transient failures."""
    from pytest_pipelines.client import PipelinesError

    attempt = 0
    while True:
        try:
            return call()
        except PipelinesError as exc:
            delay = transient_delay(exc, attempt, _budget(client))
            if delay is None:
                raise
        attempt += 1
        pause(delay)


def delete(client: Any, call: Callable[[], Any]) -> None:
    """Run a DELETE with retries; a 404 after a retry counts as deleted.

    :raises NotFoundError: when the first attempt answers 404 (nothing was there to delete).
    """
    from pytest_pipelines.client import NotFoundError, PipelinesError

    attempt = 0
    while True:
        try:
            call()
        except NotFoundError:
            if attempt:
                return  # an earlier attempt deleted it; its answer was lost
            raise
        except PipelinesError as exc:
            delay = transient_delay(exc, attempt, _budget(client))
            if delay is None:
                raise
        else:
            return
        attempt += 1
        pause(delay)


def create(client: Any, call: Callable[[], T], find: Callable[[], T | None]) -> T:
    """Create an object once: retry transient failures, first looking it up by its unique name.

    :param call: the create request.
    :param find: returns the object if an earlier attempt created it (``None`` otherwise); it
        is asked only after an attempt that may have reached the server (5xx, lost connection).
    """
    from pytest_pipelines.client import PipelinesError, RateLimitError

    attempt = 0
    while True:
        try:
            return call()
        except PipelinesError as exc:
            delay = transient_delay(exc, attempt, _budget(client))
            if delay is None:
                raise
            if not isinstance(exc, RateLimitError):
                found = find()
                if found is not None:
                    return found
        attempt += 1
        pause(delay)


def first(items: Any, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """The first item of a listing for which ``match`` is true (``None`` when none is)."""
    for item in items:
        if match(dict(item)):
            return dict(item)
    return None

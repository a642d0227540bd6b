"""The model-call cache: record provider answers in a directory, replay them without a network.

Modes (``--pipelines-cache`` / ini ``pipelines_cache``):

- ``off``: every call goes to the provider; nothing is read or written.
- ``use``: a hit is answered from the cache, a miss goes to the provider and is written.
- ``record``: every call goes to the provider and is (over)written.
- ``replay``: every call is answered from the cache; a miss is a :class:`CacheMissError`
  naming the call, never a live call. No key and no server are needed.

The key is the SHA-256 of the canonical JSON of the provider, the wire request body (model,
the full messages, the tools, every generation parameter) and the repeat index, so a changed
parameter is a miss and the repeats of a task stay independent samples. The server's address
and the key are not part of the key (the same recording replays against any server) and are
never written: an entry holds the call's description, the request body and the answer.

Layout of the directory (commit it, or keep it as a CI cache)::

    models.json          slug -> provider, model, parameters, prices (what ``record`` used)
    calls/ab/abcdef....json   one file per call
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pytest_pipelines.local._engine.registry import ModelError, ModelResponse, ToolCall

CacheMode = Literal["off", "use", "record", "replay"]
CACHE_MODES: tuple[str, ...] = ("off", "use", "record", "replay")
DEFAULT_CACHE_DIR = ".pipelines-cache"
MANIFEST = "models.json"

BAD_MODE = "invalid model-call cache mode {mode!r}; valid modes: off, use, record, replay"
CACHE_MISS = (
    "replay: no recorded answer for this call of model {slug!r} ({provider}:{model}, {purpose}, "
    "repeat {repeat}, {messages} message(s), last: {last!r}){where}; key {key} not in {directory}. "
    "The prompt, tools, parameters or repeat count changed since the recording: record again with "
    "--pipelines-cache=record (needs the provider), or use --pipelines-cache=use to fill the gaps"
)
BAD_ENTRY = (
    "the model-call cache entry {path} cannot be read ({error}); delete it and record again "
    "with --pipelines-cache=record"
)


class CacheMissError(ModelError):
    """``replay`` found no recorded answer for a call."""


def cache_key(provider: str, body: Mapping[str, Any], repeat: int) -> str:
    """The hex SHA-256 of what determines an answer: provider, request body, repeat index."""
    canonical = json.dumps(
        {"provider": provider, "request": body, "repeat": repeat},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    """A recorded answer: the response and the provider's token counts."""

    response: ModelResponse
    input_tokens: int | None
    output_tokens: int | None


class ModelCache:
    """A directory of recorded model calls, used according to ``mode``.

    :param directory: where entries live (created on the first write).
    :param mode: default ``"use"``; one of :data:`CACHE_MODES`.
    """

    def __init__(self, directory: str | os.PathLike[str], mode: str = "use") -> None:
        if mode not in CACHE_MODES:
            raise ValueError(BAD_MODE.format(mode=mode))
        self.directory = Path(directory)
        self.mode: CacheMode = mode  # type: ignore[assignment]
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ModelCache({str(self.directory)!r}, mode={self.mode!r})"

    @property
    def reads(self) -> bool:
        """Whether lookups are answered from the directory."""
        return self.mode in ("use", "replay")

    @property
    def writes(self) -> bool:
        """Whether live answers are written to the directory."""
        return self.mode in ("use", "record")

    def _path(self, key: str) -> Path:
        return self.directory / "calls" / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedAnswer | None:
        """The recorded answer of ``key``, or ``None``."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ModelError(BAD_ENTRY.format(path=path, error=exc), slug="cache") from None
        answer = data.get("response") or {}
        usage = data.get("usage") or {}
        calls = tuple(
            ToolCall(str(c["name"]), dict(c.get("arguments") or {}), str(c.get("id") or ""))
            for c in answer.get("tool_calls") or []
        )
        return CachedAnswer(
            ModelResponse(text=answer.get("text"), tool_calls=calls),
            usage.get("input_tokens"),
            usage.get("output_tokens"),
        )

    def put(
        self,
        key: str,
        call: Mapping[str, Any],
        body: Mapping[str, Any],
        answer: CachedAnswer,
    ) -> None:
        """Write one entry atomically (a temporary file renamed over the final one)."""
        entry = {
            "key": key,
            "call": dict(call),
            "request": dict(body),
            "response": {
                "text": answer.response.text,
                "tool_calls": [
                    {"id": c.id, "name": c.name, "arguments": dict(c.arguments)}
                    for c in answer.response.tool_calls
                ],
            },
            "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
        }
        self._write(self._path(key), entry)

    def _write(self, path: Path, data: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True, ensure_ascii=False, default=str)
            handle.write("\n")
        os.replace(tmp, path)

    def manifest(self) -> dict[str, dict[str, Any]]:
        """``models.json``: slug -> the recorded model's description (empty when absent)."""
        try:
            data = json.loads((self.directory / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ValueError(BAD_ENTRY.format(path=self.directory / MANIFEST, error=exc)) from None
        return {str(k): dict(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def remember_model(self, slug: str, description: Mapping[str, Any]) -> None:
        """Add a model to ``models.json`` (what ``replay`` registers without options)."""
        with self._lock:
            models = self.manifest()
            if models.get(slug) == dict(description):
                return
            models[slug] = dict(description)
            self._write(self.directory / MANIFEST, models)

    def miss(self, key: str, call: Mapping[str, Any], body: Mapping[str, Any]) -> CacheMissError:
        """The error of a ``replay`` miss, naming the call."""
        messages = body.get("messages") or []
        last = messages[-1] if messages else {}
        content = last.get("content") if isinstance(last, Mapping) else last
        text = content if isinstance(content, str) else json.dumps(content, default=str)
        where = f" in {call['label']}" if call.get("label") else ""
        return CacheMissError(
            CACHE_MISS.format(
                slug=call.get("slug"),
                provider=call.get("provider"),
                model=call.get("model"),
                purpose=call.get("purpose"),
                repeat=call.get("repeat"),
                messages=len(messages),
                last=text[:80],
                where=where,
                key=key[:16],
                directory=self.directory,
            ),
            slug=str(call.get("slug")),
        )

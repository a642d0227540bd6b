"""``Secret``: a ``str`` whose ``repr`` never shows its value (API keys, Authorization values).

Stdlib only: the client, the plugin and the local backend all hold their keys in it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

MASK = "***"


def mask(value: str) -> str:
    """``pk_live_abc123`` -> ``pk_live_***``, ``Bearer pk_live_abc`` -> ``Bearer pk_live_***``.

    Only the kind of key (``pk_<kind>_``) is kept; anything else becomes ``***``.
    """
    scheme, sep, rest = value.partition(" ")
    if sep and scheme.lower() in {"bearer", "basic", "token"}:
        return f"{scheme} {mask(rest)}"
    parts = value.split("_")
    if len(parts) >= 3 and parts[0] == "pk" and parts[1].isalpha() and len(parts[1]) <= 8:
        return f"pk_{parts[1]}_{MASK}"
    return MASK


class Secret(str):
    """A secret string: equal to, hashed, formatted and encoded as its plain value, but its
    ``repr`` is masked.

    ``repr`` is what pytest shows for locals (``-l``), in assertion messages and in the reprs of
    dataclasses and containers that hold the key, so a key kept in a ``Secret`` does not leak
    there. ``str(secret)`` (or an f-string) gives the plain value, which is how the
    ``Authorization`` header is built and how a key is handed to another process.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(mask(str(self)))


class Environ(Mapping[str, str]):
    """A read-only view of ``os.environ`` (or of ``data``) whose ``repr`` shows no values.

    A frame that keeps ``env = os.environ`` in a local prints every variable, the
    ``PIPELINES_API_KEY`` included, in a ``-l`` traceback; a frame that keeps this view does not.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        self._data: Mapping[str, str] = os.environ if data is None else data

    def __getitem__(self, name: str) -> str:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<environment of {len(self._data)} variables, values not shown>"


def secret(value: str | None) -> Secret | None:
    """``value`` as a :class:`Secret` (``None`` stays ``None``)."""
    return None if value is None else Secret(value)


__all__ = ["MASK", "Environ", "Secret", "mask", "secret"]

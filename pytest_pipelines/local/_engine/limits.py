"""What stored JSON may hold: at most ``MAX_JSON_DEPTH`` levels, and only valid Unicode text.

Both are checked where data comes in (request bodies, imported ``.json``/``.jsonl`` files), so
nothing stored can break a later read: a lone surrogate (``"x\\ud800"``) cannot be encoded as
UTF-8, and JSON nested a few hundred levels deep exceeds the encoder's recursion on every
listing that includes it, for every organization that can see it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pytest_pipelines.local._store.db import json_path

MAX_JSON_DEPTH = 64
TOO_DEEP = (
    "JSON nested deeper than {limit} levels (objects and lists) at {where}; the local backend "
    "stores at most {limit} levels: flatten the data or store it as a string"
)
LONE_SURROGATE = (
    "the text at {where} holds a lone surrogate (U+{code:04X}), which is not valid Unicode; a "
    "\\uD800-\\uDFFF escape must be half of a pair (e.g. \\ud83d\\ude00)"
)


NOT_JSON_CONSTANT = (
    "{constant} is not JSON (Python's json writes it for a non-finite float); send a finite "
    "number, null or a string"
)


class InputProblem(ValueError):
    """Data that may not be stored; ``loc`` is the path to it (keys and indices)."""

    def __init__(self, message: str, loc: list[str | int]) -> None:
        super().__init__(message)
        self.loc = loc


def _printable(part: str | int) -> str | int:
    """A path element safe to answer with: a key's lone surrogates as ``\\udXXX`` escapes."""
    return part.encode("utf-8", "backslashreplace").decode() if isinstance(part, str) else part


def _check_text(text: str, loc: list[str | int]) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        safe = [_printable(p) for p in loc]
        raise InputProblem(LONE_SURROGATE.format(where=json_path(safe), code=code), safe) from None


def check_json(value: Any, *, limit: int = MAX_JSON_DEPTH) -> None:
    """:class:`InputProblem` when ``value`` nests deeper than ``limit`` or holds a lone surrogate.

    Iterative, so the check itself cannot exceed the recursion limit.
    """
    if isinstance(value, str):
        _check_text(value, [])
        return
    if not isinstance(value, (dict, list)):  # a number, a boolean, null: nothing to walk
        return
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, loc = stack.pop()
        if len(loc) >= limit:
            raise InputProblem(TOO_DEEP.format(limit=limit, where=json_path(loc)), loc)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(key, str):
                _check_text(key, [*loc, key])
            if isinstance(child, str):
                _check_text(child, [*loc, key])
            elif isinstance(child, (dict, list)):
                stack.append((child, [*loc, key]))


def well_formed(text: str) -> str:
    """``text`` with each lone surrogate as U+FFFD (UTF-8 cannot encode one), positions kept;
    ``text`` itself when it holds none. For what must be UTF-8: RE2's input, a provider's
    request body."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


def well_formed_json(value: Any) -> Any:
    """``value`` with :func:`well_formed` applied to every string in it (keys included)."""
    if isinstance(value, str):
        return well_formed(value)
    if isinstance(value, Mapping):
        return {well_formed_json(k): well_formed_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [well_formed_json(v) for v in value]
    return value


def _no_constant(constant: str) -> Any:
    # json.loads accepts NaN/Infinity/-Infinity by default; stored, they break SQLite's JSON
    # functions and every JSON answer that includes them (a 500).
    raise InputProblem(NOT_JSON_CONSTANT.format(constant=constant), [])


def loads(text: str | bytes, *, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses what :func:`check_json` refuses.

    :raises InputProblem: too deep (also when the decoder itself runs out of recursion), a
        lone surrogate, or ``NaN``/``Infinity``/``-Infinity`` (not JSON).
    :raises ValueError: not JSON.
    """
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise InputProblem(TOO_DEEP.format(limit=limit, where="$"), []) from None
    check_json(value, limit=limit)
    return value

"""User regular expressions (``regex_match`` criteria), compiled by RE2.

Python's :mod:`re` backtracks: ``^(a+)+$`` against ``"a" * 28 + "!"`` takes seconds, and every
two more characters quadruple it, while the server's request holds a worker. RE2 matches in time
linear in the text, at the price of the constructs that need backtracking: backreferences,
lookahead and lookbehind, possessive quantifiers, and the ``VERBOSE`` flag. A pattern that uses
one is refused with a message naming the construct (a 422 when the criterion is created).

``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII classes in RE2 (the ``ASCII`` flag is therefore
accepted and changes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

MSG_UNSUPPORTED = (
    "regex_match pattern {pattern!r} cannot run on the local backend's linear-time regex "
    "engine (RE2): {problem}. RE2 has no backreferences (\\1), lookahead or lookbehind "
    "((?=...), (?!...), (?<=...), (?<!...)), possessive quantifiers or VERBOSE mode; rewrite "
    "the pattern without them"
)
MSG_VERBOSE = "the VERBOSE flag is not supported"
# Flags become inline flags of the pattern; ASCII is what RE2 does anyway.
_INLINE = {"IGNORECASE": "i", "MULTILINE": "m", "DOTALL": "s", "ASCII": ""}
# A pattern larger than this much compiled memory is refused rather than compiled.
MAX_PATTERN_MEMORY = 8 << 20


class UnsupportedRegexError(ValueError):
    """The pattern (or a flag) is not available in RE2; the message names what."""


def compile_regex(pattern: str, flags: Sequence[str] = ()) -> Any:
    """``pattern`` compiled by RE2 with ``flags`` (names of :mod:`re` flags, upper case).

    :param flags: default none; ``IGNORECASE``, ``MULTILINE``, ``DOTALL``, ``ASCII``.
    :raises UnsupportedRegexError: for a construct or flag RE2 does not have.
    """
    inline = ""
    for name in flags:
        if name not in _INLINE:
            raise UnsupportedRegexError(
                MSG_UNSUPPORTED.format(pattern=pattern, problem=MSG_VERBOSE)
            )
        inline += _INLINE[name]
    options = re2.Options()
    options.log_errors = False  # the error is answered to the caller, not logged
    options.max_mem = MAX_PATTERN_MEMORY
    try:
        return re2.compile(f"(?{inline}){pattern}" if inline else pattern, options)
    except re2.error as exc:
        problem = exc.args[0] if exc.args else exc
        if isinstance(problem, bytes):
            problem = problem.decode("utf-8", "replace")
        raise UnsupportedRegexError(
            MSG_UNSUPPORTED.format(pattern=pattern, problem=problem)
        ) from None

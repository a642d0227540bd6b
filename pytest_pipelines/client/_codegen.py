"""Generate ``_sync_client.py`` from ``_async_client.py`` (unasync-style token rewriting).

Run ``python -m pytest_pipelines.client._codegen`` after editing the async client;
``python -m pytest_pipelines.client._codegen --check`` exits 1 when the file is stale.
The rewriting is deliberately small: a table of whole-word substitutions, then the parenthesised
``from ... import (...)`` blocks are re-sorted the way ruff's isort does, so the output stays
``ruff check`` clean without running ruff.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "_async_client.py"
TARGET = HERE / "_sync_client.py"

# (pattern, replacement), applied in order; patterns are regular expressions.
SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    (r"\bAsyncPipelinesClient\b", "PipelinesClient"),
    (r"\bhttpx\.AsyncClient\b", "httpx.Client"),
    (r"\bAsyncDeferredTLSTransport\b", "DeferredTLSTransport"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAwaitable\[Any\]", "Any"),
    (r"^    Awaitable,\n", ""),
    (r"\bAsyncSleep\b", "SyncSleep"),
    (r"\bDEFAULT_ASYNC_SLEEP\b", "DEFAULT_SYNC_SLEEP"),
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\baclose\b", "close"),
    (r"\baread\b", "read"),
    (r"\baiter_bytes\b", "iter_bytes"),
    (r"\baiter_lines\b", "iter_lines"),
    (r"``anyio\.sleep``", "``time.sleep``"),
    (r"\bAsynchronous client\b", "Synchronous client"),
    # A sync generator re-yielding a loop is `yield from` (ruff UP028); async ones cannot be.
    (r"^( +)for (\w+) in (.+):\n +yield \2\n", r"\1yield from \3\n"),
)

HEADER = '''"""The synchronous Pipelines client.

GENERATED from ``_async_client.py`` by ``python -m pytest_pipelines.client._codegen``.
Do not edit by hand: edit the async client and regenerate.
"""
'''

_IMPORT_BLOCK = re.compile(r"^(from [\w.]+ import \(\n)((?:    \w+,\n)+)(\))", re.MULTILINE)


def _isort_key(name: str) -> tuple[int, str]:
    # ruff/isort "order-by-type": CONSTANTS, then Classes, then functions and variables.
    if name.isupper() or (name.upper() == name and "_" in name):
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _sort_imports(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        names = [line.strip().rstrip(",") for line in match.group(2).splitlines()]
        ordered = sorted(dict.fromkeys(names), key=_isort_key)
        body = "".join(f"    {name},\n" for name in ordered)
        return match.group(1) + body + match.group(3)

    return _IMPORT_BLOCK.sub(fix, text)


def generate(source: str) -> str:
    """The sync module text for the async module text ``source``."""
    # Replace the module docstring.
    end = source.index('"""', 3) + 3
    text = HEADER + source[end:].lstrip("\n").join(("\n", ""))
    for pattern, replacement in SUBSTITUTIONS:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    return _sort_imports(text)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, verify) ``_sync_client.py``."""
    args = sys.argv[1:] if argv is None else argv
    expected = generate(SOURCE.read_text(encoding="utf-8"))
    if "--check" in args:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != expected:
            print(
                f"{TARGET.name} is out of date; run: python -m pytest_pipelines.client._codegen",
                file=sys.stderr,
            )
            return 1
        return 0
    TARGET.write_text(expected, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

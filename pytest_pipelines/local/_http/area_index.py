"""Writes ``area_paths.py``, the path index of the lazily built API areas (``areas.py``).

Run ``python -m pytest_pipelines.local._http.area_index`` after adding or changing a route
(``--check``: exit 1 when the index is not current; a test checks it too).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from fastapi import APIRouter

INDEX_FILE = Path(__file__).with_name("area_paths.py")
INDEX_STALE = (
    "{path} is not current (an area's routes changed); rewrite it with "
    "`python -m pytest_pipelines.local._http.area_index`"
)


def area_paths(modules: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each router module's path templates, sorted (imports every one)."""
    index: dict[str, tuple[str, ...]] = {}
    for name in modules:
        router: APIRouter = importlib.import_module(name).router
        index[name] = tuple(sorted({getattr(route, "path", "") for route in router.routes}))
    return index


def render_index(index: dict[str, tuple[str, ...]]) -> str:
    """The source of ``area_paths.py`` for ``index``."""
    lines = [
        '"""The path templates of each API area, by router module (generated: do not edit).',
        "",
        "Rewrite with ``python -m pytest_pipelines.local._http.area_index`` after changing a route;",
        "``areas.py`` says how it is used.",
        '"""',
        "",
        "PATHS: dict[str, tuple[str, ...]] = {",
    ]
    for module, paths in index.items():
        one = f'    "{module}": ("{paths[0]}",),' if len(paths) == 1 else ""
        if one and len(one) <= 100:  # as ruff formats a one-element tuple
            lines.append(one)
            continue
        lines.append(f'    "{module}": (')
        lines.extend(f'        "{path}",' for path in paths)
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite ``area_paths.py`` (``--check``: exit 1 when it is not current)."""
    from pytest_pipelines.local._http.app import ROUTERS

    args = list(sys.argv[1:] if argv is None else argv)
    source = render_index(area_paths(ROUTERS))
    current = INDEX_FILE.read_text(encoding="utf-8") if INDEX_FILE.exists() else ""
    if "--check" in args:
        if source != current:
            print(INDEX_STALE.format(path=INDEX_FILE), file=sys.stderr)
            return 1
        return 0
    if source != current:
        INDEX_FILE.write_text(source, encoding="utf-8")
        print(f"wrote {INDEX_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

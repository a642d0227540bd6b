"""API areas built on first use: a router module of ``ROUTERS`` is imported, and its routes
built, by the first request whose path may be one of its routes.

Building FastAPI's ~170 routes (a dependency analysis and pydantic adapters per route) was most
of a local backend's start, and an eval test touches two areas. :class:`LazyArea` stands in the
app's route list for one area, at that area's place in ``ROUTERS``, so matching order, 404,
405 and the trailing-slash redirect are those of the app with every router included.

Which paths may be an area's comes from :data:`~.area_paths.PATHS`, written from the routers
themselves by ``python -m pytest_pipelines.local._http.area_index`` (a test fails when it is
not current). It only chooses what to build: :class:`BuildRest`, last in the route list,
builds every area left when no built area answered a request in full, and answers it if one of
them does. A stale index costs time, never a 404 for a served route.

Thread-safe: areas are built under one lock per app (requests are matched on the server's
event loop; ``app.openapi()`` may run anywhere).
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")


def template_regex(templates: Iterable[str]) -> re.Pattern[str]:
    """One regex matching every concrete path of any of ``templates`` (and perhaps more).

    A ``{name:path}`` parameter matches anything, every other parameter one non-empty segment
    part: a superset of what Starlette's convertors accept, which is all a hint needs.
    """
    parts = []
    for template in templates:
        pattern, last = [], 0
        for param in _PARAM.finditer(template):
            pattern.append(re.escape(template[last : param.start()]))
            pattern.append(".*" if param.group(2) == "path" else "[^/]+")
            last = param.end()
        pattern.append(re.escape(template[last:]))
        parts.append("".join(pattern))
    return re.compile("^(?:" + "|".join(parts) + ")$")


def _best(routes: Iterable[BaseRoute], scope: Scope) -> tuple[Match, Scope, BaseRoute | None]:
    """Starlette's choice among ``routes``: the first full match, else the first partial."""
    partial: tuple[Scope, BaseRoute] | None = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match == Match.FULL:
            return match, child_scope, route
        if match == Match.PARTIAL and partial is None:
            partial = (child_scope, route)
    if partial is not None:
        return Match.PARTIAL, *partial
    return Match.NONE, {}, None


class LazyArea(BaseRoute):
    """One router module, imported and included on the first request that may be its own.

    :param module: the router module's dotted name (it exposes ``router: APIRouter``).
    :param app: the app whose dependency overrides the area's routes honour.
    :param templates: the area's path templates; None when unknown (it may match any path).
    :param lock: the app's build lock.
    """

    def __init__(
        self, module: str, app: FastAPI, templates: Sequence[str] | None, lock: threading.Lock
    ) -> None:
        self.module = module
        self._app = app
        self._regex = template_regex(templates) if templates is not None else None
        self._lock = lock
        self._routes: APIRouter | None = None
        self._router: APIRouter | None = None

    @property
    def built(self) -> bool:
        """Whether the area's router has been imported and included."""
        return self._routes is not None

    def build(self) -> APIRouter:
        """The area's routes, included in a router of their own (built once)."""
        routes = self._routes
        if routes is None:
            with self._lock:
                if self._routes is None:
                    router: APIRouter = importlib.import_module(self.module).router
                    # as app.include_router would: the app's dependency overrides and its
                    # response class apply
                    holder = APIRouter(
                        dependency_overrides_provider=self._app,
                        default_response_class=self._app.router.default_response_class,
                    )
                    holder.include_router(router)
                    self._router, self._routes = router, holder
                routes = self._routes
            assert routes is not None
        return routes

    @property
    def router(self) -> APIRouter:
        """The area's own ``APIRouter`` (builds the area)."""
        self.build()
        assert self._router is not None
        return self._router

    def may_match(self, scope: Scope) -> bool:
        """Whether the request's path may be one of this area's routes (without building)."""
        if self._regex is None or scope["type"] != "http" or scope.get("root_path"):
            return True
        return self._regex.match(scope["path"]) is not None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self._routes is None and not self.may_match(scope):
            return Match.NONE, {}
        match, child_scope, _ = _best(self.build().routes, scope)
        return match, child_scope

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.build()(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        return self.build().url_path_for(name, **path_params)


class BuildRest(BaseRoute):
    """Last in the route list: when no built area answered a request in full, build every area
    left and let them answer it if one can (a path the index missed); else match nothing."""

    def __init__(self, areas: Sequence[LazyArea]) -> None:
        self.areas = list(areas)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        fresh = [area for area in self.areas if not area.built]
        if not fresh:
            return Match.NONE, {}
        for area in fresh:
            area.build()
        match, child_scope, _ = _best(fresh, scope)
        return match, child_scope

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Chosen only when no area built before this request matched it better, so the
        # first match among all areas (built now) is the one matches() found among the new.
        _, _, area = _best(self.areas, scope)
        assert area is not None
        await area.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)


def build_all(routes: Iterable[BaseRoute]) -> tuple[list[BaseRoute], list[APIRouter]]:
    """Build every area of an app's ``routes``: the routes with each area's own in its place,
    and the areas' own routers, in order (for the OpenAPI document)."""
    expanded: list[BaseRoute] = []
    routers: list[APIRouter] = []
    for route in routes:
        if isinstance(route, LazyArea):
            expanded.extend(route.build().routes)
            routers.append(route.router)
        elif not isinstance(route, BuildRest):
            expanded.append(route)
    return expanded, routers

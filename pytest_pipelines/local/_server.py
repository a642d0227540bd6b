"""Assembling and serving a local backend.

:class:`LocalState` is the backend state with the demo data on request (the engine's
:class:`~pytest_pipelines.local._engine.state.BackendState` plus ``_demo/``);
:class:`LocalPipelines` serves it with uvicorn in a background thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import uvicorn

from pytest_pipelines._secret import Secret, secret
from pytest_pipelines.local._demo.seed import seed_demo
from pytest_pipelines.local._engine.jobs import DEFAULT_WORKERS, check_workers
from pytest_pipelines.local._engine.seed import apply_seed
from pytest_pipelines.local._engine.state import BackendState, new_admin_key
from pytest_pipelines.local._http.app import create_app
from pytest_pipelines.local.models import default_registry

if TYPE_CHECKING:
    from pytest_pipelines.client import AsyncPipelinesClient, PipelinesClient
    from pytest_pipelines.local.models import ModelRegistry

START_TIMEOUT = (
    "the local backend did not start within {seconds} s on {host}:{port}; is the port free? "
    "use port=0 for any free port"
)
NOT_STARTED = "LocalPipelines is not running; use it as a context manager or call start() first"
#: A stopping server checks every :data:`STOP_STEP` s for its connections to be gone during
#: the first :data:`STOP_IDLE_WAIT` s, every 20 ms after that.
STOP_IDLE_WAIT = 0.1
STOP_STEP = 0.002


class _Server(uvicorn.Server):
    """uvicorn's server, stopping within milliseconds when nothing is in flight.

    uvicorn notices ``should_exit`` at its next 0.1 s tick, then sleeps 0.1 s after asking the
    connections to close, however idle the server: ~0.15 s at the end of every session with a
    local backend. :meth:`request_exit` wakes the main loop at once, and :meth:`shutdown` checks
    in 2 ms steps that the connections are gone; otherwise it is uvicorn's shutdown: stop
    listening, ask each connection to close after its response, wait for connections and tasks
    up to ``timeout_graceful_shutdown`` s, then cancel the tasks. Only the waits differ.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def request_exit(self) -> None:
        """Ask the server to stop (from any thread); :meth:`main_loop` wakes at once."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to wake
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864_000
            with contextlib.suppress(asyncio.TimeoutError):  # the tick of uvicorn's own loop
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # closes an idle connection now, a busy one after its response
        try:
            await asyncio.wait_for(self._drain(), timeout=self.config.timeout_graceful_shutdown)
        except asyncio.TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drain(self) -> None:
        """Wait for the connections and tasks to end: 2 ms steps at first, 20 ms later."""
        state = self.server_state
        loop = asyncio.get_running_loop()
        fast_until = loop.time() + STOP_IDLE_WAIT
        while (state.connections or state.tasks) and not self.force_exit:
            await asyncio.sleep(STOP_STEP if loop.time() < fast_until else 0.02)
        for server in self.servers:
            await server.wait_closed()


class LocalState(BackendState):
    """Everything a running local backend holds, with the demo data and models when ``demo``.

    Takes :class:`~pytest_pipelines.local._engine.state.BackendState`'s parameters; only the
    registry's default differs: ``default_registry(demo=demo)`` (the built-ins, plus the demo
    models with ``demo``).
    """

    def default_registry(self) -> ModelRegistry:
        """The built-in models, plus the demo models when ``demo``."""
        return default_registry(demo=self.demo)

    def seed_new_database(self) -> None:
        """The demo objects, when ``demo``."""
        if self.demo:
            seed_demo(self)


class LocalPipelines:
    """An embedded Pipelines backend over real HTTP on ``host:port`` (port 0 = any free port).

    Use it as a context manager::

        with LocalPipelines(demo=True) as local, local.client() as client:
            print(client.whoami())

    :param db_path: SQLite file to keep state across restarts (default: a temporary file removed
        on stop).
    :param demo: seed the demo organization 2, project 22, workflow 10 and the well-known keys
        ``pk_local_demo`` / ``pk_local_prompts_only`` (default False).
    :param api_key: the full-access key (default ``pk_local_demo`` with demo, else random).
    :param admin_key: the server administrator's key, the only key the control endpoints
        (``/_local/reset``, ``/_local/seed``, ``/_local/chaos``) accept (default: random,
        exposed as :attr:`admin_key`).
    :param models: ``"module:attr"`` specs of models to register (default none).
    :param seeds: seed documents, as mappings or paths of JSON files (default none).
    :param host: interface to bind (default ``127.0.0.1``).
    :param port: port to bind (default 0: a free port).
    :param registry: the model registry to use (default: built-ins, plus demo models with demo).
    :param workers: how many tasks run at once (default 32; from 1 to 1024).
    :param cache_mode: default ``"off"``; the model-call cache of provider models: ``off``,
        ``use``, ``record`` or ``replay`` (replay also registers the recorded models).
    :param cache_dir: default ``.pipelines-cache``; the cache directory.
    :param prices: default ``{}``; slug -> USD per million (input, output) tokens.
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        demo: bool = False,
        api_key: str | None = None,
        admin_key: str | None = None,
        models: Iterable[str] = (),
        seeds: Iterable[Mapping[str, Any] | str | os.PathLike[str]] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        registry: ModelRegistry | None = None,
        workers: int = DEFAULT_WORKERS,
        cache_mode: str = "off",
        cache_dir: str | os.PathLike[str] = ".pipelines-cache",
        prices: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        from pytest_pipelines.local._engine.providers import ModelCache, register_recorded

        self.db_path = db_path
        self.demo = demo
        api_key = self._api_key = secret(api_key)  # masked in -l tracebacks
        # Fixed here, not at start: a restart of this object keeps the key its callers hold.
        admin_key = self._admin_key = Secret(admin_key or new_admin_key())
        self.host = host
        self.port = port
        self.workers = check_workers(workers)
        self.registry: ModelRegistry = (
            registry if registry is not None else default_registry(demo=demo)
        )
        if cache_mode != "off":  # else keep the cache of a registry that was handed over
            self.registry.cache = ModelCache(cache_dir, cache_mode)
        for spec in models:
            self.registry.load_spec(spec)
        register_recorded(self.registry)
        for slug, (input_price, output_price) in (prices or {}).items():
            try:
                self.registry.set_price(slug, input_price, output_price)
            except LookupError as exc:
                raise ValueError(f"pipelines_prices: {exc}") from None
        self.seeds = [_load_seed(s) for s in seeds]
        self.state: LocalState | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"<LocalPipelines {where} demo={self.demo}>"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> LocalPipelines:
        """Open the database, seed it when new, and serve until :meth:`stop`."""
        state = LocalState(
            db_path=self.db_path,
            demo=self.demo,
            api_key=self._api_key,
            admin_key=self._admin_key,
            registry=self.registry,
            seeds=self.seeds,
            workers=self.workers,
        )
        # uvicorn binds the socket itself: a socket handed over with ``sockets=`` is served
        # without TCP_NODELAY, which costs ~40 ms per request.
        config = uvicorn.Config(
            create_app(state),
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        thread = threading.Thread(target=server.run, name="pipelines-local-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.request_exit()
                thread.join(timeout=5)
                state.close()
                raise RuntimeError(
                    START_TIMEOUT.format(seconds=timeout, host=self.host, port=self.port)
                )
            time.sleep(0.005)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self.state, self._server, self._thread = state, server, thread
        return self

    def stop(self) -> None:
        """Stop serving, finish running tasks, close the database (removing a temporary one)."""
        if self._server is not None:
            self._server.request_exit()
            assert self._thread is not None
            self._thread.join(timeout=10)
        if self.state is not None:
            self.state.close()
        self.registry.close()  # provider models' connections; reopened on the next use
        self._server = self._thread = self.state = None

    def __enter__(self) -> LocalPipelines:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- accessors -------------------------------------------------------------------------

    def _state(self) -> LocalState:
        if self.state is None:
            raise RuntimeError(NOT_STARTED)
        return self.state

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running backend."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_key(self) -> str:
        """The full-access API key."""
        return self._state().api_key

    @property
    def admin_key(self) -> str:
        """The administrator key of the control endpoints (not an organization's key)."""
        return self._admin_key

    @property
    def api_keys(self) -> dict[str, str]:
        """Every well-known key by name (``full``, and ``prompts_only`` with demo)."""
        return dict(self._state().api_keys)

    def client(self, api_key: str | None = None, **kwargs: Any) -> PipelinesClient:
        """A :class:`~pytest_pipelines.PipelinesClient` for this backend (default: the full key)."""
        from pytest_pipelines.client import PipelinesClient

        api_key = secret(api_key)  # masked in -l tracebacks of this frame
        return PipelinesClient(api_key=api_key or self.api_key, base_url=self.base_url, **kwargs)

    def async_client(self, api_key: str | None = None, **kwargs: Any) -> AsyncPipelinesClient:
        """An :class:`~pytest_pipelines.AsyncPipelinesClient` for this backend."""
        from pytest_pipelines.client import AsyncPipelinesClient

        api_key = secret(api_key)  # masked in -l tracebacks of this frame
        return AsyncPipelinesClient(
            api_key=api_key or self.api_key, base_url=self.base_url, **kwargs
        )

    def reset(self) -> None:
        """Delete everything and seed again, in process (like ``POST /_local/reset``)."""
        self._state().reset()

    def seed(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Apply one seed document, in process (like ``POST /_local/seed``)."""
        return apply_seed(self._state(), document)

    def set_chaos(self, **settings: Any) -> None:
        """Set the chaos switch (see :class:`~pytest_pipelines.local._engine.state.ChaosConfig`)."""
        self._state().set_chaos(**settings)


def _load_seed(seed: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, Any]:
    if isinstance(seed, Mapping):
        return _hide_keys(dict(seed))
    import json

    with open(seed, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"seed file {os.fspath(seed)!r} must hold a JSON object")
    return _hide_keys(data)


def _hide_keys(document: dict[str, Any]) -> dict[str, Any]:
    """The seed with its ``api_keys[].key`` values as :class:`Secret` (masked in reprs)."""
    keys = document.get("api_keys")
    if isinstance(keys, list):
        document["api_keys"] = [
            {**k, "key": Secret(k["key"])}
            if isinstance(k, Mapping) and isinstance(k.get("key"), str)
            else k
            for k in keys
        ]
    return document

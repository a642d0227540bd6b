"""Which model registry a backend state gets when none is given: the engine's state knows only
the built-ins; the served state (LocalState) adds the demo models with ``demo``."""

from __future__ import annotations

from pathlib import Path

from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._server import LocalState
from pytest_pipelines.local.models import ECHO_SLUG, ModelRegistry


def test_default_registry_depends_on_the_state_class_and_demo(tmp_path: Path) -> None:
    seen: dict[str, list[str]] = {}
    for name, cls, demo in (
        ("engine-demo", BackendState, True),
        ("local-plain", LocalState, False),
        ("local-demo", LocalState, True),
    ):
        state = cls(db_path=tmp_path / f"{name}.db", demo=demo, workers=1)
        try:
            seen[name] = state.registry.slugs()
        finally:
            state.close()
    assert seen["engine-demo"] == seen["local-plain"] == [ECHO_SLUG]
    assert "demo-researcher" in seen["local-demo"]


def test_a_given_registry_wins_over_the_default(tmp_path: Path) -> None:
    mine = ModelRegistry()
    state = LocalState(db_path=tmp_path / "x.db", demo=True, registry=mine, workers=1)
    try:
        assert state.registry is mine
    finally:
        state.close()

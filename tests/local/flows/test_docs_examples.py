"""The Python examples of docs/models-and-tools.md run, and the module example loads."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from pytest_pipelines.local.models import ModelRegistry, ModelRequest

DOC = Path(__file__).resolve().parents[3] / "docs" / "models-and-tools.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_runs(index: int) -> None:
    exec(compile(BLOCKS[index], f"{DOC.name}[python block {index}]", "exec"), {"__name__": "doc"})


def test_the_my_models_example_loads_in_all_its_forms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    source = next(block for block in BLOCKS if block.startswith("# my_models.py"))
    (tmp_path / "my_models.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_models", raising=False)
    request.addfinalizer(lambda: sys.modules.pop("my_models", None))
    registry = ModelRegistry(sleep=lambda seconds: None)
    assert registry.load_spec("my_models:terse") == ["terse"]
    assert registry.load_spec("my_models:MODELS") == ["terse", "loud"]
    assert registry.load_spec("my_models:register") == ["slow-terse"]
    assert registry.entry("slow-terse").latency == 0.2
    assert registry.complete("terse", ModelRequest("terse", "Day one. Day two.")).text == "Day one"


def test_the_travel_tools_example_is_a_working_code_tool_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from pytest_pipelines.local._engine.toolsets import call_tool, discover_tools

    source = next(block for block in BLOCKS if block.startswith("# travel_tools.py"))
    (tmp_path / "travel_tools.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "travel_tools", raising=False)
    request.addfinalizer(lambda: sys.modules.pop("travel_tools", None))
    endpoint = {"endpoint_type": "code", "config": {"module": "travel_tools"}}
    assert discover_tools(endpoint) == [
        {
            "name": "opening_hours",
            "description": "Opening hours of a sight on a given day.",
            "input_schema": {
                "type": "object",
                "properties": {
                    "site": {"type": "string"},
                    "day": {"type": "string", "default": "Monday"},
                },
                "required": ["site"],
            },
        }
    ]
    assert call_tool(endpoint, "opening_hours", {"site": "Pantheon"}) == {
        "site": "Pantheon",
        "day": "Monday",
        "hours": "9:00-19:00",
    }

"""The Python blocks of docs/local-backend.md run as written; the CLI table matches the parser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_pipelines.local.cli import build_parser

PAGE = Path(__file__).resolve().parents[3] / "docs" / "local-backend.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_python_blocks_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = PYTHON_BLOCK.findall(PAGE.read_text())
    assert blocks
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), {})
    assert "demo@pipelines.local" in capsys.readouterr().out


def test_every_cli_option_is_documented() -> None:
    text = PAGE.read_text()
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    options = [
        s
        for action in serve._actions
        for s in action.option_strings
        if s.startswith("--") and s != "--help"
    ]
    missing = [o for o in options if f"`{o}" not in text]
    assert missing == []

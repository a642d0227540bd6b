"""The CI snippets install the plugin the way a user's repository can: not from `.`.

`pip install -e ".[local,xdist]"` only works inside this repository; a user's CI job checks out
*their* repository, so the snippets install from the Git URL (or a wheel, or the index name).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = [
    *sorted((ROOT / "examples" / "ci").glob("*.yml")),
    ROOT / "docs" / "how-to" / "ci-gating.md",
]
INSTALL = re.compile(r"pip install (?P<args>.+)")
FROM_HERE = re.compile(r"""(^|\s)(-e|--editable)\s|(^|\s)["']?\.(\[|["']?\s|["']?$)""")


def install_lines(text: str, *, markdown: bool) -> list[str]:
    """The arguments of every `pip install` command (in code blocks of Markdown; not comments)."""
    if markdown:
        text = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, re.S))
    code = [line for line in text.splitlines() if not line.strip().startswith(("#", "//"))]
    return [m.group("args").strip().strip("'") for m in INSTALL.finditer("\n".join(code))]


def readme_in_ci() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## In CI", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("path", SNIPPETS, ids=lambda p: p.name)
def test_ci_snippets_install_the_published_package(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    commands = install_lines(text, markdown=path.suffix == ".md")
    assert commands, f"{path.name} has no install command"
    for args in commands:
        assert not FROM_HERE.search(args), (
            f"{path.name}: `pip install {args}` installs the checkout"
        )
        assert "pytest-pipelines[" in args, f"{path.name}: `pip install {args}` names no package"


def test_readme_in_ci_installs_the_published_package() -> None:
    commands = install_lines(readme_in_ci(), markdown=True)
    assert commands
    for args in commands:
        assert not FROM_HERE.search(args)
        assert "git+https://" in args or "pytest-pipelines[" in args


def test_the_checkout_pattern_is_recognised() -> None:
    assert FROM_HERE.search('-e ".[local,xdist]"')
    assert FROM_HERE.search('".[local]"')
    assert FROM_HERE.search(".")
    assert not FROM_HERE.search(
        '"pytest-pipelines[local,xdist] @ git+https://github.com/o/pytest-pipelines@v1"'
    )

"""Every client call written in the SDK guide runs, verbatim, on both clients.

The calls are cut out of ``sdk-guide.txt`` (``client.name(...)`` with balanced parentheses) and
evaluated against a recording mock server, so the guide's positional and keyword parameters are
exactly the ones our clients accept. Names the guide takes from earlier steps (``prompt_id``,
``run["job_id"]`` ...) resolve to placeholders.

The guide is the hosted API's document, not part of this repository: its path comes from
``$PIPELINES_SDK_GUIDE`` (``.ci/run`` sets it when ``../shared/contract/sdk-guide.txt`` exists),
and without it this module is skipped with the reason. The route table and seed method names
beside it are our own copies in ``tests/data/``; when the guide's folder has them too, they must
be identical (a drift check).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from clienttest_helpers import GUIDE_ENV, TEST_DATA, Api, ok

from pytest_pipelines.client import PipelinesConfigError

pytestmark = pytest.mark.anyio

GUIDE_UNSET = (
    f"${GUIDE_ENV} is not set: point it at the SDK guide (sdk-guide.txt) to run every call the "
    "guide shows against both clients"
)
GUIDE_MISSING = f"${GUIDE_ENV} is {{path!r}}, which is not a file"


def read_guide(value: str | None) -> tuple[str | None, Path | None, str]:
    """The guide's text and path from the variable's value, or ``None`` and why not."""
    if not value:
        return None, None, GUIDE_UNSET
    path = Path(value)
    if not path.is_file():
        return None, None, GUIDE_MISSING.format(path=value)
    return path.read_text(encoding="utf-8"), path, ""


_TEXT, GUIDE_PATH, _WHY = read_guide(os.environ.get(GUIDE_ENV))
if _TEXT is None:
    pytest.skip(_WHY, allow_module_level=True)
GUIDE: str = _TEXT or ""
ITERATORS = ("iter_", "paginate", "request_stream", "stream_lines")
# The guide abbreviates this one; a criterion needs its full definition (docs/client.md).
REJECTED_BEFORE_SENDING = {'client.push_criterion_artifact({"name": "Exact Match"})'}


def guide_calls() -> list[str]:
    calls: list[str] = []
    for match in re.finditer(r"\bclient\.(\w+)\(", GUIDE):
        depth, index, quote = 0, match.end() - 1, ""
        while index < len(GUIDE):
            char = GUIDE[index]
            if quote:
                if char == quote and GUIDE[index - 1] != "\\":
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth == 0:
                    break
            index += 1
        call = GUIDE[match.start() : index + 1]
        if call.endswith("(...)") or "=...," in call:  # prose, not a call
            continue
        calls.append(call.replace("{...}", "{}").replace("[...]", "[]"))
    return list(dict.fromkeys(calls))


CALLS = guide_calls()


class Earlier(dict[str, Any]):
    """Resolves names the guide defines in earlier steps."""

    def __missing__(self, name: str) -> Any:
        if name == "payload":  # the guide's config-swap payloads
            return {"count": 1, "configOverrides": {}}
        if name.endswith("_id"):
            return 7
        return {"id": 7, "job_id": "job-1", "experiment_id": "exp-1", "file_id": "f-1"}


def server_reply(request: httpx.Request) -> httpx.Response:
    return ok(
        {
            "id": 1,
            "status": "completed",
            "email": "a@b.c",
            "org_id": 2,
            "items": [{"id": 1}],
            "has_more": False,
            "tools": [],
        }
    )


def test_the_guide_has_many_calls() -> None:
    assert len(CALLS) > 90
    names = {re.match(r"client\.(\w+)", c).group(1) for c in CALLS}  # type: ignore[union-attr]
    seeds = (TEST_DATA / "seed-methods.txt").read_text(encoding="utf-8").split()
    # Every seed method the guide shows in code is exercised here.
    assert names <= set(seeds) | {"create_workflow"}


@pytest.mark.parametrize("call", CALLS)
async def test_guide_call_runs(
    api: Api, call: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    api.server.handler = server_reply
    scope = Earlier(client=api.client)
    if call in REJECTED_BEFORE_SENDING:
        with pytest.raises(PipelinesConfigError):
            await api.call("push_criterion_artifact", {"name": "Exact Match"})
        assert call == 'client.push_criterion_artifact({"name": "Exact Match"})'
        assert api.server.requests == []
        return
    result = eval(call, {}, scope)
    name = re.match(r"client\.(\w+)", call).group(1)  # type: ignore[union-attr]
    if name.startswith(ITERATORS):
        items = list(result) if api.kind == "sync" else [item async for item in result]
        assert items
    elif api.kind == "async" and name != "artifact_bundle_template":
        result = await result
    if name != "artifact_bundle_template":
        assert api.server.requests


@pytest.mark.parametrize("name", ["routes.tsv", "seed-methods.txt"])
def test_our_contract_copies_match_the_guides_folder(name: str) -> None:
    assert GUIDE_PATH is not None
    theirs = GUIDE_PATH.parent / name
    if not theirs.is_file():
        pytest.skip(f"{theirs} does not exist: nothing to compare tests/data/{name} with")
    ours = (TEST_DATA / name).read_text(encoding="utf-8")
    assert ours == theirs.read_text(encoding="utf-8"), (
        f"tests/data/{name} differs from {theirs}: copy the contract's version into tests/data/"
    )

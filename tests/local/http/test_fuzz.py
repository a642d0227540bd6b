"""A bounded, reproducible schemathesis fuzz of every operation of the local backend.

The backend is started through its public entry point (``LocalPipelines``, demo data, port 0);
its OpenAPI document drives schemathesis, which sends a fixed number of generated requests per
operation (valid and invalid ones, derandomized: the same requests on every run) with the demo
key (the admin key on the control endpoints), and checks that no answer is a 5xx and every
answer matches the document's response schema.

schemathesis's own pytest integration does not run under pytest 9 (it writes
``Function._nodeid``), so the operations are walked here and each runs under hypothesis.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

if TYPE_CHECKING:
    from pytest_pipelines.local import LocalPipelines

# Examples per operation and mode: 169 operations x 2 modes x 5 requests is about a minute on
# 2 busy cores.
EXAMPLES = 5
CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # Shrinking would multiply the bounded budget; a failure prints its request instead.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


@pytest.fixture(scope="module")
def fuzzed_backend() -> Iterator[LocalPipelines]:
    """A private demo backend: fuzzing resets, seeds and deletes, so it is nobody else's."""
    from pytest_pipelines.local import LocalPipelines

    with LocalPipelines(demo=True) as local:
        yield local


def _fuzz_operation(operation: Any, mode: Any, local: LocalPipelines, failures: list[str]) -> None:
    # The control endpoints answer only the server's admin key; everything else the demo key.
    key = local.admin_key if operation.path.startswith("/_local/") else local.api_key
    auth = {"Authorization": f"Bearer {key}"}

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            response = case.call(base_url=local.base_url, headers=auth, timeout=30)
            case.validate_response(response, checks=CHECKS)
        finally:
            # A fuzzed PUT /_local/chaos may switch on failure injection; its 503s are the
            # feature, not a finding, so every request starts with chaos off.
            local.set_chaos()

    try:
        run()
    except Unsatisfiable:
        # Negative mode on an operation with nothing to get wrong (no parameters, no body).
        return
    except (KeyboardInterrupt, SystemExit):
        raise
    # schemathesis's FailureGroup is a BaseExceptionGroup; every finding is collected so one
    # run lists them all.
    except BaseException as exc:
        failures.append(f"{operation.label} ({mode.value}): {exc}")


def test_no_server_error_and_no_schema_violation(fuzzed_backend: LocalPipelines) -> None:
    """Every operation, valid and invalid requests: no 5xx, every answer as documented."""
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(f"{fuzzed_backend.base_url}/_local/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, fuzzed_backend, failures)
    assert operations > 100, operations
    assert not failures, f"{len(failures)} finding(s):\n\n" + "\n\n".join(failures)

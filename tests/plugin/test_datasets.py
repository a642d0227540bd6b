"""pipelines_workflow(dataset=...): a dataset's rows are the run's inputs (local backend)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pipelines._markers import DATASET_EXCLUSIVE
from pytest_pipelines._run import DATASET_NO_COLUMN, DATASET_NOT_READY

CSV = b"city,days,expected_output,gold\nRome,3,Day 1: Colosseum,G1\nMilan,2,Day 1: Duomo,G2\nNaples,1,Day 1: Pizza,G3\n"
NO_EXPECTED_CSV = b"city,days\nRome,3\nTurin,2\n"


def _import(client: Any, data: bytes, name: str) -> int:
    job = client.import_dataset_from_file(data, name=name, filename=f"{name}.csv")
    client.wait_for_dataset_import(job["job_id"], timeout=30)
    return int(job["dataset_id"])


@pytest.fixture
def dataset_id(backend_client: Any) -> int:
    """A three-row dataset with an expected_output and a gold column (the API deletes none)."""
    return _import(backend_client, CSV, "plugin-dataset-rows")


def test_dataset_rows_are_inputs(
    pytester: pytest.Pytester, remote_args: list[str], backend_client: Any, dataset_id: int
) -> None:
    plain = _import(backend_client, NO_EXPECTED_CSV, "plugin-dataset-plain")
    pytester.makepyfile(
        f"""
import pytest

CITIES = ["Rome", "Milan", "Naples"]

@pytest.fixture
def rows_ds():
    return {{"id": {dataset_id}, "name": "rows"}}

class Obj:
    id = {dataset_id}

@pytest.mark.pipelines_workflow(22, 10, dataset={dataset_id})
def test_by_id(pipelines_run):
    tasks = sorted(pipelines_run.tasks, key=lambda t: t.id)
    assert len(tasks) == 3  # count defaults to the number of rows
    assert [dict(t.inputs) for t in tasks] == [
        {{"city": "Rome", "days": 3, "gold": "G1"}},
        {{"city": "Milan", "days": 2, "gold": "G2"}},
        {{"city": "Naples", "days": 1, "gold": "G3"}},
    ]
    assert [t.expected_output for t in tasks] == ["Day 1: Colosseum", "Day 1: Duomo", "Day 1: Pizza"]

@pytest.mark.pipelines_workflow(22, 10, dataset="rows_ds", count=2, expected_column="gold")
def test_by_fixture_with_count_and_column(pipelines_run):
    tasks = sorted(pipelines_run.tasks, key=lambda t: t.id)
    assert [t.inputs["city"] for t in tasks] == CITIES[:2]
    assert [t.expected_output for t in tasks] == ["G1", "G2"]
    assert all("gold" not in t.inputs for t in tasks)

@pytest.mark.pipelines_workflow(22, 10, dataset=Obj(), expected_column=None)
def test_by_object_without_expected(pipelines_run):
    assert len(pipelines_run.tasks) == 3
    assert sorted(t.inputs["gold"] for t in pipelines_run.tasks) == ["G1", "G2", "G3"]

@pytest.mark.pipelines_workflow(22, 10, dataset={plain})
def test_no_expected_column(pipelines_run):
    assert sorted(t.inputs["city"] for t in pipelines_run.tasks) == ["Rome", "Turin"]
    assert all(t.expected_output is None for t in pipelines_run.tasks)

@pytest.mark.pipelines_workflow(22, 10, dataset={dataset_id}, expected_column="nope")
def test_unknown_column(pipelines_run):
    pass

@pytest.mark.pipelines_workflow(22, 10, dataset=987654)
def test_missing_dataset(pipelines_run):
    pass
"""
    )
    result = pytester.runpytest(*remote_args, "-o", "pipelines_default_gate=none")
    result.assert_outcomes(passed=4, errors=2)
    message = DATASET_NO_COLUMN.format(
        id=dataset_id, column="nope", columns="city, days, expected_output, gold"
    )
    out = result.stdout.str()
    assert message in out.replace("\n", "")
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_missing_dataset*",
            "*pipelines API error while reading dataset 987654*",
        ]
    )


def test_dataset_still_importing_is_an_error() -> None:
    from pytest_pipelines._markers import RunSpec, WorkflowTarget
    from pytest_pipelines._run import RunBroken, build_payload

    class Client:
        def get_dataset(self, ident: int) -> dict[str, Any]:
            return {"id": ident, "status": "importing"}

    spec = RunSpec(target=WorkflowTarget(22, 10, dataset=5))
    with pytest.raises(RunBroken) as info:
        build_payload(spec, {}.__getitem__, client=Client())
    assert str(info.value) == DATASET_NOT_READY.format(id=5, status="importing")


def test_dataset_rows_are_read_across_pages() -> None:
    from pytest_pipelines._run import dataset_rows

    rows = [{"q": str(i), "expected_output": i} for i in range(5)]
    asked: list[tuple[int, int]] = []

    class Client:
        def get_dataset(self, ident: int) -> dict[str, Any]:
            return {"id": ident, "status": "ready"}

        def get_dataset_content(self, ident: int, *, page: int, page_size: int) -> dict[str, Any]:
            asked.append((page, page_size))
            size = 2  # the server caps the page below what was asked
            chunk = rows[(page - 1) * size : page * size]
            return {
                "items": chunk,
                "has_more": page * size < len(rows),
                "columns": [{"name": "q"}, {"name": "expected_output"}],
            }

    inputs, expected = dataset_rows(Client(), 1, "expected_output")
    assert inputs == [{"q": str(i)} for i in range(5)]
    assert expected == [0, 1, 2, 3, 4]
    assert [p for p, _ in asked] == [1, 2, 3]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ('dataset=3, inputs={"city": "Rome"}', DATASET_EXCLUSIVE.format(other="inputs")),
        (
            'dataset=3, expected_outputs=["x"]',
            DATASET_EXCLUSIVE.format(other="expected_outputs"),
        ),
        ("dataset=2.5", "argument 'dataset' must be a fixture name (str), an id (int)"),
        ('dataset=3, expected_column=""', "argument 'expected_column' must be a non-empty"),
        ("dataset=3, count=0", "argument 'count' must be None (1, or one task per dataset row)"),
    ],
)
def test_bad_dataset_arguments_are_collection_errors(
    pytester: pytest.Pytester, args: str, problem: str
) -> None:
    pytester.makepyfile(
        f"""
import pytest

@pytest.mark.pipelines_workflow(22, 10, {args})
def test_eval(pipelines_run):
    pass
"""
    )
    result = pytester.runpytest("--collect-only", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    out = result.stdout.str().replace("\n", "")
    assert (
        "test_bad_dataset_arguments_are_collection_errors.py::test_eval: @pytest.mark.pipelines_workflow:"
        in out
    )
    assert problem in out

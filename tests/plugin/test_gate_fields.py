"""GateOutcome (the verdict layer) and GateRecord (the reports) share one field definition, so a
field added to one cannot go missing from the other or from the trip between them."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_pipelines import GateOutcome
from pytest_pipelines._gates import Example as OutcomeExample
from pytest_pipelines._record import GateFields, GateRecord, ItemRecord, gate_record

#: a value for every shared field, none of them its default
_FULL = {
    "subject": "Judge",
    "metric": "mean",
    "observed": 3.5,
    "threshold": ">= 4",
    "passed": False,
    "note": "a note",
    "kind": "regression",
    "decision": "regression",
    "low": 3.1,
    "high": 3.9,
    "confidence": 0.9,
    "n": 30,
    "n_inputs": 10,
    "needed_n": 80,
    "severity": "warn",
    "baseline": 4.2,
    "delta": -0.7,
    "p_value": 0.01,
    "method": "t",
    "warning": "a warning",
}


def _names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def test_outcome_and_record_have_the_same_fields_in_the_same_order() -> None:
    assert issubclass(GateOutcome, GateFields)
    assert issubclass(GateRecord, GateFields)
    assert _names(GateOutcome) == _names(GateRecord) == _names(GateFields)
    assert set(_FULL) == set(_names(GateFields)) - {"examples"}


def test_every_shared_field_travels_from_outcome_to_record_and_back() -> None:
    outcome = GateOutcome(**_FULL, examples=(OutcomeExample(7, "out\x1b[31m", "why"),))
    assert set(outcome.as_dict()) == set(_names(GateFields))
    record = gate_record(outcome, {7: "input abc"})
    assert {k: getattr(record, k) for k in _FULL} == _FULL
    assert [(e.task_id, e.label, e.output, e.reason) for e in record.examples] == [
        (7, "input abc", "out\\x1b[31m", "why")
    ]
    item = ItemRecord(nodeid="t.py::t", test="t.py::t", gates=(record,))
    assert ItemRecord.from_dict(item.to_dict()).gates == (record,)


def test_positional_order_of_gate_outcome_is_kept() -> None:
    # the 7th positional argument of the public GateOutcome has always been ``examples``
    ex = (OutcomeExample(1, "o", "r"),)
    outcome = GateOutcome("c", "pass_rate", 1.0, ">= 0.8", True, "", ex, "tool")
    assert (outcome.examples, outcome.kind) == (ex, "tool")


def test_both_are_frozen() -> None:
    outcome = GateOutcome(**_FULL)
    record = gate_record(outcome, {})
    for value in (outcome, record):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.passed = True  # type: ignore[misc]

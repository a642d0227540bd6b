"""The plugin's integer settings share one parser: ASCII digits only, surrounding space allowed."""

from __future__ import annotations

import pytest

from pytest_pipelines._settings import whole_number


@pytest.mark.parametrize(
    ("value", "number"), [("8", 8), (" 32 ", 32), ("007", 7), (8, 8), ("0", 0)]
)
def test_ascii_digits_are_a_whole_number(value: object, number: int) -> None:
    assert whole_number(value) == number


@pytest.mark.parametrize(
    "value", ["", " ", "+8", "-1", "1_000", "2.5", "8 8", "²", "١٢", "٨", "lots"]
)
def test_anything_else_is_not(value: str) -> None:
    assert whole_number(value) is None


def test_table_width_in_other_digits_is_a_usage_error(pytester: pytest.Pytester) -> None:
    from pytest_pipelines._reporting import BAD_TABLE_WIDTH

    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("--pipelines-table-width=١٢٠")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = BAD_TABLE_WIDTH.format(source="--pipelines-table-width", value="١٢٠")
    assert expected in result.stderr.str()

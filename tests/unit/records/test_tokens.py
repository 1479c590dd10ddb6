"""The argument token: one resolve for argv, SQL binds, reuse keys and task docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.errors import StepRunError
from mlpipelines.records import ArgumentToken
from mlpipelines.records.tokens import PLACEHOLDER_INPUTS, PLACEHOLDER_OUTPUTS, ParameterValues


@pytest.mark.parametrize("value", ["; rm -rf /", "$(id)", "{{ 7*7 }}", "`id` && echo 'x'"])
def test_parameter_values_and_literals_render_verbatim(value: str) -> None:
    assert ArgumentToken("parameter", "p").render({"p": value}, {}, {}) == value
    assert ArgumentToken.literal(value).render({}, {}, {}) == value


def test_data_tokens_render_the_path_they_are_given(tmp_path: Path) -> None:
    inputs, outputs = {"raw": tmp_path / "in"}, {"model": tmp_path / "out"}
    assert ArgumentToken("input", "raw").render({}, inputs, outputs) == str(tmp_path / "in")
    assert ArgumentToken("output", "model").render({}, inputs, outputs) == str(tmp_path / "out")


def test_resolve_keeps_a_parameter_value_typed_for_sql_binds() -> None:
    assert ArgumentToken("parameter", "n").resolve({"n": 3}, {}, {}) == 3
    assert ArgumentToken("parameter", "n").render({"n": 3}, {}, {}) == "3"


def test_a_parameter_without_a_value_is_a_step_error_at_run_time() -> None:
    with pytest.raises(StepRunError, match="pipeline parameter 'alpha' has no value"):
        ArgumentToken("parameter", "alpha").render({}, {}, {})


def test_a_reuse_key_sees_a_missing_parameter_as_none_and_data_as_placeholders() -> None:
    values = ParameterValues({"a": 1})
    assert ArgumentToken("parameter", "a").render(values, {}, {}) == "1"
    assert ArgumentToken("parameter", "b").render(values, {}, {}) == "None"
    token = ArgumentToken("input", "raw")
    assert token.render(values, PLACEHOLDER_INPUTS, PLACEHOLDER_OUTPUTS) == "<input raw>"


def test_docs_describe_tokens_by_kind() -> None:
    assert ArgumentToken("parameter", "alpha").describe() == "<parameter alpha>"
    assert ArgumentToken("output", "model").describe() == "<output model>"
    assert ArgumentToken.literal(0.5).describe() == "0.5"


@pytest.mark.parametrize("kind", ["parameter", "input", "output", "value"])
def test_json_round_trip_is_the_old_token_shape(kind: str) -> None:
    token = ArgumentToken(kind, "x")  # type: ignore[arg-type]
    assert token.to_json() == {kind: "x"}
    assert ArgumentToken.from_json(token.to_json()) == token


def test_a_document_that_is_no_token_is_refused() -> None:
    with pytest.raises(ValueError, match="not an argument token"):
        ArgumentToken.from_json({"bogus": "x"})

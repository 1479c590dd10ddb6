"""Run requests that would make a run sure to fail, or flood the database or an error
message, are refused before any run exists, each naming the field and the limit."""

from __future__ import annotations

import pytest

from mlpipelines.publishing.run_request import RunRequestError, parse_run_request

PARAMS = [
    {"name": "n", "default": 1, "type": "integer"},
    {"name": "word", "default": "abc", "type": "string"},
    {"name": "data", "default": {"datastore": "workspaceblobstore", "path": "in"},
     "type": "object"},
]  # fmt: skip


def _refused(body, match, known=None):
    with pytest.raises(RunRequestError, match=match):
        parse_run_request(body, PARAMS, datastore_known=known)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (2**63, "'n' is out of range"),
        (-(2**63) - 1, "'n' is out of range"),
        (str(2**64), "'n' is out of range"),
        (1e300, "'n' is out of range"),
    ],
)
def test_integers_beyond_64_bits(value, match):
    _refused({"ParameterAssignments": {"n": value}}, match)


def test_the_64_bit_bounds_themselves_pass():
    for value in (2**63 - 1, -(2**63)):
        assert parse_run_request({"ParameterAssignments": {"n": value}}, PARAMS).conf["n"] == value


def test_strings_with_nul_or_longer_than_an_argument_can_be():
    _refused({"ParameterAssignments": {"word": "a\x00b"}}, "'word' holds a NUL")
    _refused({"ParameterAssignments": {"word": "x" * 5_000_000}}, "'word' is 5,000,000 char")
    ok = parse_run_request({"ParameterAssignments": {"word": "x" * 32_000}}, PARAMS)
    assert len(ok.conf["word"]) == 32_000


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ({"datastore": "workspaceblobstore", "path": "../../etc"}, "leaves the datastore"),
        ({"DataStoreName": "workspaceblobstore", "RelativePath": "/etc/passwd"}, "relative"),
        ({"DataStoreName": "workspaceblobstore", "RelativePath": 5}, "must be a string"),
        ({"DataStoreName": "../x", "RelativePath": "a"}, "is not a datastore name"),
        ({"DataStoreName": "", "RelativePath": "a"}, "is not a datastore name"),
        ("just text", "needs DataStoreName"),
    ],
)
def test_a_data_path_as_a_parameter_value_is_checked_as_in_data_path_assignments(value, match):
    _refused({"ParameterAssignments": {"data": value}}, f"parameter 'data'.*{match}")


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ({"DataStoreName": "workspaceblobstore", "RelativePath": "C:\\data"}, "relative"),
        ({"DataStoreName": "store", "RelativePath": ["a"]}, "must be a string"),
        ({"DataStoreName": "bad name!", "RelativePath": "a"}, "is not a datastore name"),
        ({"DataStoreName": "store", "RelativePath": "a\x00"}, "NUL"),
    ],
)
def test_data_path_assignments_refuse_malformed_places(value, match):
    _refused({"DataPathAssignments": {"data": value}}, match)


def test_an_unknown_datastore_is_refused_when_the_server_can_tell():
    def known(name):
        return name == "workspaceblobstore"

    body = {"DataPathAssignments": {"data": {"DataStoreName": "nowhere", "RelativePath": "a"}}}
    _refused(body, "no datastore named 'nowhere'", known)
    good = {"DataPathAssignments": {"data": {"DataStoreName": "workspaceblobstore",
                                             "RelativePath": "b"}}}  # fmt: skip
    conf = parse_run_request(good, PARAMS, datastore_known=known).conf
    assert conf["data"] == {"datastore": "workspaceblobstore", "path": "b"}


def test_fields_are_bounded():
    _refused({"Description": "d" * 5_001}, "Description must be at most 5,000")
    _refused({"Tags": {str(i): "v" for i in range(200_000)}}, "200,000 tags; the limit is 100")
    _refused({"Tags": {"k": "v" * 1_001}}, "at most 1000 characters")
    _refused({"ExperimentName": "e" * 256}, "ExperimentName must be at most 255")
    _refused({"RunSource": 7}, "RunSource must be a string")


def test_an_error_message_echoes_a_bounded_part_of_what_was_sent():
    unknown = {f"name_{i}_" + "x" * 500: 1 for i in range(900)}
    with pytest.raises(RunRequestError) as refused:
        parse_run_request({"ParameterAssignments": unknown}, PARAMS)
    assert len(str(refused.value)) < 2_000
    assert "and 890 more" in str(refused.value)
    _refused({"ParameterAssignments": {f"p{i}": 1 for i in range(1_000_001)}}, "limit is 1,000")

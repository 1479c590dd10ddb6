"""Azure ML run request bodies: checked against the pipeline's parameters before any run."""

from __future__ import annotations

import pytest

from mlpipelines.publishing.run_request import RunRequestError, parse_run_request

PARAMS = [
    {"name": "n_estimators", "default": 100, "type": "integer"},
    {"name": "C", "default": 1.0, "type": "number"},
    {"name": "word", "default": "abc", "type": "string"},
    {"name": "regenerate_outputs", "default": False, "type": "boolean"},
]


def test_body_becomes_conf_and_note():
    request = parse_run_request(
        {
            "ExperimentName": "nightly",
            "ParameterAssignments": {"n_estimators": 5, "C": 0.5, "word": "{{ ds }} $(id)"},
            "RunSource": "SDK",
            "Tags": {"team": "ml"},
        },
        PARAMS,
    )
    assert request.conf == {
        "n_estimators": 5,
        "C": 0.5,
        "word": "{{ ds }} $(id)",
        "mlpipelines_experiment": "nightly",
        "mlpipelines_tags": {"team": "ml"},
    }
    assert request.note == "SDK run of experiment nightly"
    assert request.pipeline_version is None


def test_text_values_of_typed_parameters_are_converted():
    request = parse_run_request(
        {"ParameterAssignments": {"n_estimators": "7", "C": "2", "regenerate_outputs": "True"}},
        PARAMS,
    )
    assert request.conf == {"n_estimators": 7, "C": 2.0, "regenerate_outputs": True}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"ParameterAssignments": {"n_estimator": 5}}, "unknown parameter(s) 'n_estimator'"),
        ({"ParameterAssignments": {"n_estimators": "many"}}, "must be of type integer"),
        ({"ParameterAssignments": {"n_estimators": True}}, "must be of type integer"),
        ({"ParameterAssignments": {"C": [1]}}, "must be of type number"),
        ({"ParameterAssignments": {"C": "nan"}}, "must be of type number"),
        ({"ParameterAssignments": {"C": "inf"}}, "must be of type number"),
        ({"ParameterAssignments": {"C": " -Infinity"}}, "must be of type number"),
        ({"ParameterAssignments": {"C": float("nan")}}, "must be of type number"),
        ({"ParameterAssignments": {"C": float("-inf")}}, "must be of type number"),
        ({"ParameterAssignments": {"n_estimators": float("inf")}}, "must be of type integer"),
        ({"ParameterAssignments": {"word": 5}}, "must be of type string"),
        ({"ParameterAssignments": {"regenerate_outputs": "yes"}}, "must be of type boolean"),
        ({"ParameterAssignments": [1, 2]}, "must be a JSON object"),
        ({"ExperimentName": 3}, "ExperimentName must be a string"),
        ({"Parameters": {}}, "unknown field(s) Parameters"),
        ([], "must be a JSON object"),
    ],
)
def test_bad_bodies_are_refused_with_the_reason(body, message):
    with pytest.raises(RunRequestError) as raised:
        parse_run_request(body, PARAMS)
    assert message in str(raised.value)


def test_unknown_names_list_what_the_pipeline_takes():
    with pytest.raises(RunRequestError, match="this pipeline takes: C, n_estimators, regen"):
        parse_run_request({"ParameterAssignments": {"x": 1}}, PARAMS)


def test_pipeline_version_is_text():
    assert parse_run_request({"PipelineVersion": 1}, PARAMS).pipeline_version == "1"


def test_pipeline_version_is_refused_by_a_published_pipeline():
    with pytest.raises(RunRequestError, match="PipelineVersion is for pipeline endpoints"):
        parse_run_request({"PipelineVersion": "1"}, PARAMS, for_endpoint=False)
    assert parse_run_request({}, PARAMS, for_endpoint=False).pipeline_version is None


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("n_estimators", 3.0, 3),
        ("n_estimators", " 12 ", 12),
        ("C", 2, 2),
        ("C", "1e3", 1000.0),
        ("regenerate_outputs", "FALSE", False),
        ("regenerate_outputs", True, True),
        ("word", "", ""),
    ],
)
def test_accepted_values_take_the_parameter_type(name, value, expected):
    conf = parse_run_request({"ParameterAssignments": {name: value}}, PARAMS).conf
    assert conf == {name: expected}
    assert type(conf[name]) is type(expected)


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("n_estimators", 2.5, "integer"),
        ("n_estimators", None, "integer"),
        ("C", True, "number"),
        ("C", None, "number"),
        ("word", None, "string"),
        ("regenerate_outputs", 1, "boolean"),
    ],
)
def test_refused_values_name_the_parameter_and_its_type(name, value, kind):
    with pytest.raises(RunRequestError) as raised:
        parse_run_request({"ParameterAssignments": {name: value}}, PARAMS)
    assert str(raised.value) == (
        f"parameter '{name}' must be of type {kind}, got {type(value).__name__} {value!r}"
    )


def test_data_path_values_pass_as_they_are():
    params = [*PARAMS, {"name": "sales", "default": {}, "type": "object"}]
    value = {"datastore": "lake", "path": "sales/2024"}
    conf = parse_run_request({"ParameterAssignments": {"sales": value}}, params).conf
    assert conf == {"sales": value}

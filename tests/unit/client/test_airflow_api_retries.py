"""The REST client against a real local server that is slow or failing for a while: reads
and triggers are retried with backoff, a retried trigger makes one run, and what cannot be
retried (or never recovers) is one clear error rather than an httpx exception."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from mlpipelines.client.airflow_api import (
    AirflowApi,
    AirflowApiError,
    AirflowUnavailableError,
    new_dag_run_id,
)
from mlpipelines.errors import MlPipelinesError
from support.unsteady_http import Trouble, UnsteadyAirflow

RUNS = "/api/v2/dags/train/dagRuns"


@pytest.fixture
def server() -> Iterator[UnsteadyAirflow]:
    unsteady = UnsteadyAirflow().start()
    try:
        yield unsteady
    finally:
        unsteady.stop()


def _api(server: UnsteadyAirflow, attempts: int = 5) -> AirflowApi:
    return AirflowApi(
        server.url, token="t", timeout=httpx.Timeout(0.4), attempts=attempts, backoff=0.01
    )


def test_reads_answered_503_are_retried_until_airflow_answers(server):
    server.trouble[("GET", "/api/v2/monitor/health")] = Trouble(fail=3)
    assert _api(server).health() == {"metadatabase": {"status": "healthy"}}
    assert server.calls.count(("GET", "/api/v2/monitor/health")) == 4


def test_a_429_waits_as_long_as_its_retry_after_says(server):
    server.trouble[("GET", "/api/v2/monitor/health")] = Trouble(fail=1, status=429, retry_after=1)
    began = time.monotonic()
    assert _api(server).health() == {"metadatabase": {"status": "healthy"}}
    assert time.monotonic() - began >= 0.95  # the backoff alone would be 0.01 s
    assert server.calls.count(("GET", "/api/v2/monitor/health")) == 2


def test_a_read_slower_than_the_timeout_is_sent_again_instead_of_raising_read_timeout(server):
    server.runs["r1"] = {"dag_run_id": "r1", "state": "running", "conf": {}}
    server.trouble[("GET", f"{RUNS}/r1")] = Trouble(slow=1, delay=1.0)
    assert _api(server).get_run("train", "r1")["state"] == "running"
    assert server.calls.count(("GET", f"{RUNS}/r1")) == 2


def test_a_trigger_whose_answer_was_lost_makes_one_run(server):
    # Airflow makes the run, but answers after the client stopped waiting.
    server.trouble[("POST", RUNS)] = Trouble(slow=1, delay=1.0)
    run = _api(server).trigger("train", {"alpha": 0.5}, note="from a notebook")
    assert list(server.runs) == [run["dag_run_id"]]
    assert run["conf"] == {"alpha": 0.5}
    assert run["dag_run_id"].startswith("manual__")
    assert server.calls == [("POST", RUNS), ("POST", RUNS), ("GET", f"{RUNS}/{run['dag_run_id']}")]


def test_a_trigger_answered_503_is_retried_with_the_same_run_id(server):
    server.trouble[("POST", RUNS)] = Trouble(fail=2)
    run = _api(server).trigger("train", {}, run_id="chosen_by_me")
    assert run["dag_run_id"] == "chosen_by_me"
    assert list(server.runs) == ["chosen_by_me"]
    assert server.calls.count(("POST", RUNS)) == 3


def test_a_run_id_taken_by_another_trigger_is_still_refused(server):
    server.runs["taken"] = {"dag_run_id": "taken", "conf": {"alpha": 1}, "state": "success"}
    with pytest.raises(AirflowApiError) as err:
        _api(server).trigger("train", {"alpha": 2}, run_id="taken")
    assert err.value.status_code == 409


def test_a_call_that_may_not_be_repeated_is_sent_once(server):
    server.trouble[("POST", "/pipelines/run")] = Trouble(fail=1)
    response = _api(server).request("POST", "/pipelines/run", json={})
    assert response.status_code == 503
    assert server.calls == [("POST", "/pipelines/run")]


def test_client_errors_are_not_retried(server):
    with pytest.raises(AirflowApiError) as err:
        _api(server).get_run("train", "missing")
    assert err.value.status_code == 404
    assert server.calls == [("GET", f"{RUNS}/missing")]


def test_an_airflow_that_never_answers_is_one_clear_error(server):
    server.trouble[("GET", f"{RUNS}/r1")] = Trouble(slow=99, delay=1.0)
    with pytest.raises(AirflowUnavailableError) as err:
        _api(server, attempts=3).get_run("train", "r1")
    assert isinstance(err.value, MlPipelinesError)
    message = str(err.value)
    assert f"Airflow at {server.url} did not answer GET {RUNS}/r1 (3 tries)" in message
    assert "ReadTimeout" in message
    assert server.calls.count(("GET", f"{RUNS}/r1")) == 3


def test_a_refused_connection_is_retried_even_for_a_post(server):
    url = server.url
    server.stop()
    api = AirflowApi(url, token="t", attempts=2, backoff=0.01)
    with pytest.raises(AirflowUnavailableError, match=r"did not answer POST /x \(2 tries\)"):
        api.request("POST", "/x", json={})


def test_run_ids_chosen_by_the_client_are_distinct_and_valid_for_airflow():
    ids = {new_dag_run_id() for _ in range(50)}
    assert len(ids) == 50
    # Airflow's default [scheduler] allowed_run_id_pattern.
    assert all(re.fullmatch(r"[A-Za-z0-9_.~:+-]+", i) for i in ids)


def test_a_list_longer_than_a_page_is_read_whole(server):
    for index in range(130):
        server.runs[f"r{index:03d}"] = {"dag_run_id": f"r{index:03d}", "conf": {}}
    server.page_limit = 40  # a deployment whose maximum page is smaller than ours
    runs = _api(server).list_runs("train")
    assert [r["dag_run_id"] for r in runs] == sorted(server.runs)
    assert server.calls.count(("GET", RUNS)) == 4

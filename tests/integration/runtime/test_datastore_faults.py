"""A step whose output datastore misbehaves (moto's S3 server behind a proxy that answers 503
or goes down on cue): a short spell of 503s is ridden out, a lasting one is a clear error,
and a store that goes down mid-upload fails the step with nothing readable, after which the
next try recomputes the whole output."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

from mlpipelines import Datastore, Pipeline, PipelineData, PythonScriptStep, Workspace
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import datastores
from mlpipelines.storage.registration import environment_name, environment_value
from support.faulty_proxy import FaultyProxy

pytestmark = pytest.mark.integration

FILES = 12
WRITE = f"""
import os, sys
out = sys.argv[sys.argv.index("--out") + 1]
for i in range({FILES}):
    with open(os.path.join(out, "part-%02d.bin" % i), "wb") as sink:
        sink.write(os.urandom(64 * 1024))
"""


@pytest.fixture
def flaky(moto_s3, monkeypatch, tmp_path) -> Iterator[tuple[FaultyProxy, dict]]:
    """An S3 datastore ``flaky_s3`` reached through the proxy, and the step writing to it."""
    upstream = int(moto_s3.server.endpoint.rsplit(":", 1)[1].split("/")[0])
    proxy = FaultyProxy(upstream).start()
    body = moto_s3.connection_body("flaky_s3")
    body["extra"] = json.dumps({**json.loads(body["extra"]), "endpoint_url": proxy.endpoint})
    monkeypatch.setenv(environment_name("flaky_s3"), environment_value(body))
    datastores._opened.cache_clear()
    ws = Workspace.current()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "write.py").write_text(WRITE)
    out = PipelineData("parts", datastore=Datastore(ws, "flaky_s3"))
    step = PythonScriptStep(
        name="write",
        script_name="write.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--out", out],
        outputs=[out],
        allow_reuse=False,
    )
    plan = plan_pipeline(Pipeline(ws, [step]))
    try:
        yield proxy, {t.task_id: t.definition for t in plan.tasks}
    finally:
        proxy.stop()
        datastores._opened.cache_clear()


def _ctx(run_id: str) -> StepContext:
    return StepContext("faults_dag", run_id, "write", params={}, pull_output=lambda *_: None)


def _files(ref) -> list[str]:
    s3 = datastores.location_of(ref.store)
    s3.fs.invalidate_cache()
    return sorted(p.rsplit("/", 1)[1] for p in s3.fs.find(s3.path(ref.path)))


def test_a_short_spell_of_503s_is_ridden_out(flaky):
    proxy, steps = flaky
    proxy.fail_next = 3
    result = run_python_script_step(steps["write"], _ctx(f"run_{uuid.uuid4().hex[:8]}"))
    assert proxy.refused == 3 and proxy.fail_next == 0
    assert len(_files(result.outputs["parts"])) == FILES


def test_a_lasting_503_is_a_clear_error_in_bounded_time(flaky):
    proxy, steps = flaky
    proxy.fail_next = 10**9
    began = time.monotonic()
    with pytest.raises(StepRunError) as failed:
        run_python_script_step(steps["write"], _ctx(f"run_{uuid.uuid4().hex[:8]}"))
    took = time.monotonic() - began
    message = str(failed.value)
    assert "output 'parts'" in message and "flaky_s3" in message, message
    assert proxy.refused > 3  # it was retried before giving up
    print(f"\na lasting 503: gave up after {proxy.refused} tries in {took:.1f} s: {message}")


def test_a_store_down_mid_upload_leaves_nothing_readable_and_the_retry_recomputes(flaky):
    proxy, steps = flaky
    run_id = f"run_{uuid.uuid4().hex[:8]}"
    proxy.down_after_uploads = FILES // 2
    with pytest.raises(StepRunError, match="output 'parts'"):
        run_python_script_step(steps["write"], _ctx(run_id))
    assert proxy.down and proxy.refused >= 1
    proxy.down = False  # the store is back
    proxy.down_after_uploads = None
    retried = run_python_script_step(steps["write"], _ctx(run_id))  # the task's retry
    assert retried.reused is None
    assert _files(retried.outputs["parts"]) == [f"part-{i:02d}.bin" for i in range(FILES)]

"""The Airflow UI as an ML user meets it, in a real (headless) Chromium: log in, open a re-run,
see that its reused steps say so (the task page's note, the pipeline tab), the pipeline
view's step table and downloads, the metrics charts, a step's docs, and the trigger form's
parameter descriptions. Screenshots go to pytest's temp folder (``screenshots/``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from support.browser import VIEWPORT

pytestmark = pytest.mark.e2e

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def page(browser, airflow) -> Iterator[Any]:
    """A browser page logged in through Airflow's own login form."""
    config = json.loads((airflow.home / "config.json").read_text())
    context = browser.new_context(viewport=VIEWPORT, base_url=airflow.api.base_url)
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    opened.goto("/")
    opened.locator('input[name="username"]').fill(config["username"])
    opened.locator('input[name="password"]').fill(config["password"])
    opened.locator('button[type="submit"]').click()
    opened.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"))
    try:
        yield opened
    finally:
        context.close()


def _run_path(dag_id: str, run_id: str) -> str:
    return f"/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def _shot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_a_reused_steps_task_page_says_it_was_reused(page, view_runs, screenshots):
    first = view_runs.first["dag_run_id"]
    page.goto(f"{_run_path(view_runs.dag_id, view_runs.reused['dag_run_id'])}/tasks/train")
    # Above the log ("no logs available": the step never ran), the note's first line.
    page.get_by_text(re.compile(f"from run {re.escape(first)}")).first.wait_for()
    _shot(page, screenshots, "reused-step-task-page")
    page.get_by_role("button", name="Edit note").click()
    note = page.get_by_role("dialog")
    note.get_by_text("accuracy = 0.6").wait_for()
    assert "model: workspaceblobstore/" in note.inner_text()
    _shot(page, screenshots, "reused-step-note")
    page.keyboard.press("Escape")
    # The graph (a reused step is a skipped node there; its note is a click away).
    page.get_by_role("button", name=re.compile("^Show Graph")).click()
    page.locator(".react-flow__node").first.wait_for()
    _shot(page, screenshots, "reused-run-graph")
    page.get_by_role("button", name=re.compile("^Show Grid")).click()  # the UI remembers it


def test_the_pipeline_tab_of_a_reused_step(page, view_runs, screenshots):
    first = view_runs.first["dag_run_id"]
    run = _run_path(view_runs.dag_id, view_runs.reused["dag_run_id"])
    page.goto(f"{run}/tasks/train/plugin/pipeline-step")
    frame = page.frame_locator("iframe").first
    box = frame.locator("#reused")
    box.wait_for()
    assert "this step did not run" in box.inner_text()
    source = box.locator("a.reused-run")
    assert source.inner_text() == first
    assert source.get_attribute("href") == _run_path(view_runs.dag_id, first)
    assert source.get_attribute("target") == "_top"
    frame.get_by_text("accuracy").first.wait_for()
    download = frame.locator("a.download", has_text="model.txt")
    download.wait_for()
    with page.expect_download() as started:
        download.click()
    saved = started.value.path()
    assert Path(saved).read_text() == "alpha=0.5 rows=150\n"
    _shot(page, screenshots, "reused-step-pipeline-tab")
    source.click()  # to the run it reused, in Airflow itself
    expect(page).to_have_url(re.compile(re.escape(_run_path(view_runs.dag_id, first)) + "$"))


def test_the_pipeline_view_of_a_partly_reused_run(page, view_runs, screenshots):
    run = _run_path(view_runs.dag_id, view_runs.partly["dag_run_id"])
    page.goto(f"{run}/plugin/pipeline-run")
    frame = page.frame_locator("iframe").first
    rows = frame.locator("#steps tbody tr")
    rows.first.wait_for()
    assert rows.count() == 3
    by_step = {rows.nth(i).get_attribute("data-step"): rows.nth(i) for i in range(3)}
    assert list(by_step) == ["prepare", "train", "report"]
    prepare, train = by_step["prepare"], by_step["train"]
    assert "Reused" in prepare.inner_text()
    assert view_runs.first["dag_run_id"] in prepare.inner_text()
    assert "Reused" not in train.inner_text()
    assert "accuracy 0.75" in train.inner_text()
    assert "changed" in train.inner_text()
    prepare.get_by_role("button", name="files").click()
    prepare.locator("a.download", has_text="count.txt").wait_for()
    assert frame.locator("dl.facts").first.inner_text().count("alpha") == 1
    _shot(page, screenshots, "pipeline-run-view")

    # The step's name opens its task page in Airflow itself, out of the sandboxed tab.
    train.get_by_role("link", name="train").click()
    expect(page).to_have_url(re.compile(r".*/tasks/train$"))
    page.get_by_role("button", name="Edit note").wait_for()  # the task instance's header


def test_metrics_across_runs_are_charted(page, view_runs, screenshots):
    page.goto(f"/dags/{view_runs.dag_id}/plugin/pipeline-metrics")
    frame = page.frame_locator("iframe").first
    frame.locator("#metric").wait_for()
    frame.locator("#metric").select_option("train/accuracy")
    frame.locator("#param").select_option("alpha")
    by_run = frame.locator("#metric-by-run circle")
    by_run.first.wait_for()
    assert by_run.count() >= 3
    scatter = frame.locator("#metric-by-param circle")
    assert scatter.count() >= 3
    titles = [scatter.nth(i).locator("title").text_content() for i in range(scatter.count())]
    assert any("alpha = 2" in t and t.endswith(": 0.75") for t in titles), titles
    assert frame.locator("#runs tbody tr").count() >= 3
    _shot(page, screenshots, "pipeline-metrics-charts")


def test_a_steps_docs_and_the_trigger_forms_descriptions(page, view_runs, screenshots):
    page.goto(f"/dags/{view_runs.dag_id}/tasks/train")
    page.get_by_role("button", name="Documentation").click()
    docs = page.get_by_role("dialog")
    docs.get_by_text("train.py").first.wait_for()
    text = docs.inner_text()
    assert "allow_reuse" in text
    assert "from step prepare" in text or "from step `prepare`" in text, text
    _shot(page, screenshots, "step-docs")
    page.keyboard.press("Escape")

    page.goto(f"/dags/{view_runs.dag_id}")
    page.get_by_test_id("trigger-dag-button").click()
    form = page.get_by_role("dialog")
    # Each parameter's help says what it is and which steps read it (translate/params.py).
    form.get_by_text("used by step(s)").first.wait_for()
    text = form.inner_text()
    assert "alpha" in text and "rows" in text
    assert text.count("used by step(s)") >= 2, text
    _shot(page, screenshots, "trigger-form")

"""LogTail: an ended step's log is read until its end mark arrives, even seconds late."""

from __future__ import annotations

from mlpipelines.client.run_watch import LOG_END_MARK, LogTail


class FakeStep:
    """A step whose log grows each time it is read, like a log the supervisor still writes."""

    name = "shout"

    def __init__(self, chunks: list[list[str]]) -> None:
        self._ti = {"try_number": 1}
        self._chunks = chunks
        self.reads = 0

    def get_logs(self) -> str:
        self.reads += 1
        shown = self._chunks[: self.reads]
        return "\n".join(line for chunk in shown for line in chunk)


def test_late_log_lines_are_read_until_the_end_mark():
    step = FakeStep([[], [], [], [], [], [], [], [], [], ["SERVUS, WORLD!"], [LOG_END_MARK]])
    tail = LogTail(ended_wait_seconds=60)
    printed: list[str] = []
    while not tail.done(step):
        printed += tail.new_lines(step, ended=True)
    assert printed == ["SERVUS, WORLD!", LOG_END_MARK]
    assert step.reads == 11


def test_a_log_without_end_mark_is_given_up_after_the_wait():
    step = FakeStep([["only line"]] * 3)
    tail = LogTail(ended_wait_seconds=0.0)
    assert tail.new_lines(step, ended=True) == ["only line"]
    assert tail.done(step)


def test_running_step_lines_are_printed_once():
    step = FakeStep([["a"], ["b"], ["c"]])
    tail = LogTail()
    assert tail.new_lines(step, ended=False) == ["a"]
    assert tail.new_lines(step, ended=False) == ["b"]
    assert not tail.done(step)


RUNNING = [
    "[] ::group::Log message source details",
    "[] /airflow/logs/dag_id=hello/run_id=r/task_id=shout/attempt=1.log",
    "[] http://worker:8793/log/dag_id=hello/run_id=r/task_id=shout/attempt=1.log",
    "[] ::endgroup::",
    "[info] ::group::Pre Execute",
    "[info] ::endgroup::",
    "[info] running ['python', 'shout.py']",
]
FINISHED = [
    "[] ::group::Log message source details",
    "[] /airflow/logs/dag_id=hello/run_id=r/task_id=shout/attempt=1.log",
    "[] ::endgroup::",
    "[info] ::group::Pre Execute",
    "[info] ::endgroup::",
    "[info] running ['python', 'shout.py']",
    "[info] SERVUS, WORLD!",
    f"[info] {LOG_END_MARK}",
    "[info] ::endgroup::",
]


def test_a_log_read_while_running_then_finished_loses_no_line():
    """Airflow lists two log sources while a task runs and one after: a tail counting lines
    of the whole log skipped the line that came in between (seen on a loaded CI machine)."""
    step = FakeStep([RUNNING])
    tail = LogTail()
    assert tail.new_lines(step, ended=False) == RUNNING[4:]
    step._chunks, step.reads = [FINISHED], 0  # the next read finds the finished log
    assert tail.new_lines(step, ended=True) == FINISHED[6:]
    assert tail.done(step)

"""``mlpipelines gc``: remove old run data and what killed tasks left behind, by a retention
policy; ``--dry-run`` shows what would go and how many bytes, per category."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from mlpipelines.cli.arguments import add_config, workspace_of
from mlpipelines.cli.tables import print_table
from mlpipelines.gc.policy import (
    DEFAULT_GRACE,
    DEFAULT_KEEP_LAST,
    DEFAULT_OLDER_THAN,
    RetentionPolicy,
    parse_duration,
)

# What the command tells a user who has no Airflow to ask.
NO_AIRFLOW = (
    "cannot ask Airflow which runs are going on ({error}); gc removes no run data without "
    "knowing. Start Airflow, or pass --offline if nothing is running (runs changed within "
    "--grace are then taken as running)"
)


def add_commands(commands: Any) -> None:
    gc = commands.add_parser(
        "gc",
        help="remove old run data and leftovers of killed tasks (see --dry-run)",
        description=__doc__,
    )
    gc.add_argument(
        "--dry-run", action="store_true", help="show what would be removed, remove nothing"
    )
    gc.add_argument(
        "--older-than",
        type=_duration,
        default=DEFAULT_OLDER_THAN,
        metavar="AGE",
        help=f"remove run data older than this, e.g. 7d, 12h (default {DEFAULT_OLDER_THAN})",
    )
    gc.add_argument(
        "--keep-last",
        type=int,
        default=DEFAULT_KEEP_LAST,
        metavar="N",
        help=f"always keep each pipeline's newest N runs (default {DEFAULT_KEEP_LAST})",
    )
    gc.add_argument(
        "--orphans-only",
        action="store_true",
        help="keep every run; remove only leftovers of killed tasks, stale markers, specs "
        "with no record",
    )
    gc.add_argument(
        "--grace",
        type=_duration,
        default=DEFAULT_GRACE,
        metavar="AGE",
        help=f"leave orphans younger than this alone (default {DEFAULT_GRACE})",
    )
    gc.add_argument(
        "--offline",
        action="store_true",
        help="run without Airflow (runs changed within --grace count as running)",
    )
    gc.add_argument(
        "--temp-dir",
        default=None,
        help="this machine's temp folder, where tasks work (default: the system's)",
    )
    gc.add_argument("--list", action="store_true", help="list every item, not only totals")
    add_config(gc)
    gc.set_defaults(handler=_gc)


def _duration(text: str) -> float:
    from mlpipelines.errors import UserErrorException

    try:
        return parse_duration(text)
    except UserErrorException as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _gc(args: argparse.Namespace) -> int:
    from mlpipelines.client.airflow_api import AirflowUnavailableError
    from mlpipelines.errors import UserErrorException
    from mlpipelines.gc.airflow_facts import airflow_facts
    from mlpipelines.gc.apply import apply_removals
    from mlpipelines.gc.facts import AirflowFacts, Facts
    from mlpipelines.gc.plan import plan_removals
    from mlpipelines.gc.removals import Place
    from mlpipelines.gc.survey import survey

    ws = workspace_of(args.config)
    if ws.uses_rest_store:
        raise UserErrorException(
            "gc reads the datastore itself: run it with a workspace config that has the "
            "Airflow home (or the datastore's connection), not only the Airflow URL"
        )
    policy = RetentionPolicy(
        older_than=args.older_than,
        keep_last=args.keep_last,
        grace=args.grace,
        orphans_only=args.orphans_only,
    )
    api = None if args.offline else _airflow(ws)
    if api is False:
        return 2
    temp_dir = Path(args.temp_dir or tempfile.gettempdir()).resolve()
    found = survey(ws, ws.get_default_datastore().location, temp_dir)
    airflow = AirflowFacts(reachable=False)
    if api:
        try:
            dag_ids = {run.run[0] for run in found.store.runs}
            airflow = airflow_facts(api, found.store.datastore, dag_ids, policy.keep_last)
        except AirflowUnavailableError as exc:
            print(f"mlpipelines gc: {NO_AIRFLOW.format(error=exc)}", file=sys.stderr)
            return 2
        finally:
            api.close()
    facts = Facts(found.store, airflow, found.control, found.machine)
    plan = plan_removals(facts, policy)
    for note in plan.notes:
        print(f"note: {note}")
    if args.list:
        _print_items(plan.removals)
    if args.dry_run:
        _print_totals(plan.removals, "would free")
        return 0
    places = {Place.DATASTORE: found.location, Place.SPECS: found.specs_location}
    outcome = apply_removals(plan.removals, places)
    _print_totals(outcome.removed, "freed")
    if outcome.vanished:
        print(f"{len(outcome.vanished)} item(s) were gone already")
    if outcome.changed:
        print(f"{len(outcome.changed)} item(s) changed since the survey: kept")
    for removal, error in outcome.failed:
        print(f"could not remove {removal.path}: {error}", file=sys.stderr)
    return 0


def _airflow(ws: Any) -> Any:
    """The workspace's Airflow, answering; False (after saying why) when it cannot be asked."""
    from mlpipelines.client.airflow_api import AirflowApi, AirflowUnavailableError
    from mlpipelines.errors import UserErrorException

    try:
        api = AirflowApi.from_workspace(ws)
    except UserErrorException as exc:
        print(f"mlpipelines gc: {NO_AIRFLOW.format(error=exc)}", file=sys.stderr)
        return False
    try:
        api.health()
    except AirflowUnavailableError as exc:
        api.close()
        print(f"mlpipelines gc: {NO_AIRFLOW.format(error=exc)}", file=sys.stderr)
        return False
    return api


def _print_totals(removals: list[Any], verb: str) -> None:
    from mlpipelines.gc.removals import Category

    count: dict[Category, int] = defaultdict(int)
    size: dict[Category, int] = defaultdict(int)
    for removal in removals:
        count[removal.category] += 1
        size[removal.category] += removal.bytes
    rows = [
        (category.title, str(count[category]), human_bytes(size[category]))
        for category in Category
        if count[category]
    ]
    rows.append(("total", str(len(removals)), human_bytes(sum(size.values()))))
    print_table(("category", "items", verb), rows)


def _print_items(removals: list[Any]) -> None:
    print_table(
        ("category", "path", "bytes", "why"),
        [(r.category.title, r.path, human_bytes(r.bytes), r.reason) for r in removals],
    )


def human_bytes(count: int) -> str:
    """``1.5 MiB``-style sizes (exact bytes below 1 KiB)."""
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{count} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")

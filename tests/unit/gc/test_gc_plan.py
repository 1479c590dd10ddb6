"""The gc planner's rules, from facts alone: what is kept, what goes, in which order."""

from __future__ import annotations

import random

from mlpipelines.gc.facts import (
    AirflowFacts,
    ControlFacts,
    Entry,
    Facts,
    Leftover,
    MachineFacts,
    ManifestFact,
    MarkerFact,
    RunData,
    SnapshotFact,
    SpecDoc,
    StatCacheFact,
    StoreFacts,
    TempFolder,
)
from mlpipelines.gc.plan import plan_removals
from mlpipelines.gc.plan_runs import within
from mlpipelines.gc.policy import RetentionPolicy, format_duration, parse_duration
from mlpipelines.gc.removals import Category

NOW = 2_000_000_000.0
DAY = 86400.0
ONLINE = AirflowFacts(reachable=True)


def ago(days: float) -> float:
    return NOW - days * DAY


def policy(**fields) -> RetentionPolicy:
    defaults = {"older_than": 30 * DAY, "keep_last": 2, "grace": 3600.0, "now": NOW}
    return RetentionPolicy(**{**defaults, **fields})


def outputs(dag: str, run: str, days: float, names=("prep/data", "train/model")) -> RunData:
    base = f"pipelinedata/{dag}/{run}"
    parts = tuple(Entry(f"{base}/{n}", 100, ago(days)) for n in names)
    return RunData((dag, run), "outputs", Entry(base, 100 * len(parts), ago(days)), parts)


def artifacts(dag: str, run: str, days: float) -> RunData:
    return RunData((dag, run), "artifacts", Entry(f"artifacts/{dag}/{run}", 7, ago(days)))


def manifest(dag: str, run: str, key: str, days: float, names=("prep/data",), **kw) -> ManifestFact:
    paths = tuple(f"pipelinedata/{dag}/{run}/{n}" for n in names)
    entry = Entry(f".mlpipelines/reuse/{key}.json", 1, ago(days))
    return ManifestFact(entry, key, (dag, run), paths, **kw)


def store(**fields) -> StoreFacts:
    return StoreFacts(datastore="workspaceblobstore", **fields)


def paths(plan, category: Category | None = None) -> list[str]:
    return [r.path for r in plan.removals if category is None or r.category is category]


def history(dag: str = "p", days=(1, 40, 50, 60)) -> StoreFacts:
    """One pipeline's runs r0.. of the given ages, each with outputs, artifacts, manifest."""
    runs, manifests = [], []
    for i, age in enumerate(days):
        runs += [outputs(dag, f"r{i}", age), artifacts(dag, f"r{i}", age)]
        manifests.append(manifest(dag, f"r{i}", f"k{i}", age))
    return store(runs=tuple(runs), manifests=tuple(manifests))


# -- durations -----------------------------------------------------------------------------
def test_durations_read_and_print_in_units():
    assert parse_duration("7d") == 7 * DAY
    assert parse_duration("90m") == 5400
    assert parse_duration("12") == 12
    assert format_duration(30 * DAY) == "30d"
    assert format_duration(3600) == "1h"
    assert format_duration(2.5) == "2.5s"


# -- runs ----------------------------------------------------------------------------------
def test_keeps_the_newest_runs_and_recent_ones_and_removes_the_rest_with_their_manifests():
    plan = plan_removals(Facts(history(), ONLINE), policy(keep_last=2))
    # r0 is recent, r1 is among the newest two; r2 and r3 go.
    assert paths(plan, Category.OUTPUTS) == ["pipelinedata/p/r2", "pipelinedata/p/r3"]
    assert paths(plan, Category.ARTIFACTS) == ["artifacts/p/r2", "artifacts/p/r3"]
    assert paths(plan, Category.MANIFESTS) == [
        ".mlpipelines/reuse/k2.json",
        ".mlpipelines/reuse/k3.json",
    ]
    assert plan.bytes == 2 * (200 + 7 + 1)


def test_keep_last_counts_per_pipeline():
    facts = Facts(
        StoreFacts(
            "ws",
            runs=(*history("a", (40, 50)).runs, *history("b", (45, 55, 65)).runs),
        ),
        ONLINE,
    )
    plan = plan_removals(facts, policy(keep_last=1))
    assert paths(plan, Category.OUTPUTS) == [
        "pipelinedata/a/r1",
        "pipelinedata/b/r1",
        "pipelinedata/b/r2",
    ]


def test_keep_nothing_and_no_age_removes_every_run_that_is_not_running():
    airflow = AirflowFacts(reachable=True, active_runs=frozenset({("p", "r3")}))
    plan = plan_removals(Facts(history(), airflow), policy(keep_last=0, older_than=0))
    assert paths(plan, Category.OUTPUTS) == [
        "pipelinedata/p/r0",
        "pipelinedata/p/r1",
        "pipelinedata/p/r2",
    ]
    assert ".mlpipelines/reuse/k3.json" not in paths(plan)


def test_a_running_run_keeps_the_old_outputs_it_reuses_and_their_manifest():
    facts = history()
    reused = "pipelinedata/p/r3/prep/data"
    airflow = AirflowFacts(
        reachable=True,
        active_runs=frozenset({("p", "r4")}),
        in_use_outputs=frozenset({reused}),
    )
    plan = plan_removals(Facts(facts, airflow), policy(keep_last=0, older_than=0))
    assert reused not in paths(plan)
    assert "pipelinedata/p/r3" not in paths(plan)
    assert "pipelinedata/p/r3/train/model" in paths(plan, Category.OUTPUTS)
    assert "artifacts/p/r3" in paths(plan, Category.ARTIFACTS)
    assert ".mlpipelines/reuse/k3.json" not in paths(plan)


def test_manifests_are_removed_before_any_output():
    plan = plan_removals(Facts(history(), ONLINE), policy(keep_last=0, older_than=0))
    categories = [r.category for r in plan.removals]
    assert categories.index(Category.OUTPUTS) > max(
        i for i, c in enumerate(categories) if c is Category.MANIFESTS
    )


def test_no_kept_manifest_ever_points_at_removed_data():
    """Whatever the runs, manifests, running runs and policy: every manifest that stays
    hands on outputs that stay."""
    rng = random.Random(7)
    for _ in range(300):
        runs, manifests = [], []
        for r in range(rng.randint(1, 6)):
            dag, run, age = rng.choice("ab"), f"r{r}", rng.uniform(0, 90)
            runs.append(outputs(dag, run, age))
            for k in range(rng.randint(0, 2)):
                # Some manifests point into another run's folder, as a reused step's would.
                other = rng.choice([run, f"r{rng.randint(0, 5)}"])
                names = rng.sample(["prep/data", "train/model"], rng.randint(1, 2))
                manifests.append(manifest(dag, other, f"k{r}{k}", rng.uniform(0, 90), names))
        # What running runs read: a manifest's output, or any output at all.
        readable = [o for m in manifests for o in m.outputs] + [
            p.path for r in runs for p in r.parts
        ]
        in_use = set(rng.sample(readable, rng.randint(0, 2)))
        airflow = AirflowFacts(
            reachable=True,
            active_runs=frozenset(rng.sample([r.run for r in runs], rng.randint(0, 1))),
            in_use_outputs=frozenset(in_use),
        )
        chosen = policy(
            keep_last=rng.randint(0, 3),
            older_than=rng.choice([0, 10 * DAY, 60 * DAY]),
            orphans_only=rng.random() < 0.2,
        )
        plan = plan_removals(
            Facts(store(runs=tuple(runs), manifests=tuple(manifests)), airflow), chosen
        )
        removed = set(paths(plan))
        for m in manifests:
            if m.entry.path in removed:
                continue
            for output in m.outputs:
                assert not any(within(output, gone) for gone in removed), (m, plan.removals)
        for output in in_use:
            assert not any(within(output, gone) or within(gone, output) for gone in removed)


def test_dangling_manifests_go_even_when_only_orphans_do():
    dangling = manifest("p", "r0", "kd", 1, dangling=True)
    facts = Facts(store(runs=(outputs("p", "r0", 1),), manifests=(dangling,)), ONLINE)
    plan = plan_removals(facts, policy(orphans_only=True))
    assert paths(plan) == [dangling.entry.path]
    assert "gone" in plan.removals[0].reason


def test_a_damaged_manifest_goes_only_after_the_grace():
    fresh = ManifestFact(Entry(".mlpipelines/reuse/x.json", 3, NOW - 60), "x", None, damaged=True)
    old = ManifestFact(Entry(".mlpipelines/reuse/y.json", 3, ago(1)), "y", None, damaged=True)
    plan = plan_removals(Facts(store(manifests=(fresh, old)), ONLINE), policy())
    assert paths(plan) == [".mlpipelines/reuse/y.json"]


def test_orphans_only_keeps_every_run_and_manifest():
    plan = plan_removals(
        Facts(history(), ONLINE), policy(keep_last=0, older_than=0, orphans_only=True)
    )
    assert plan.removals == []


def test_manifest_removals_carry_the_time_they_were_seen():
    facts = history()
    seen = {m.entry.path: m.entry.modified for m in facts.manifests}
    plan = plan_removals(Facts(facts, ONLINE), policy(keep_last=0, older_than=0))
    removed = [r for r in plan.removals if r.category is Category.MANIFESTS]
    assert len(removed) == 4
    assert all(r.unchanged_since == seen[r.path] for r in removed)


# -- markers and leftovers -----------------------------------------------------------------
def marker(key: str, run: str, minutes: float, alive: bool) -> MarkerFact:
    entry = Entry(f".mlpipelines/reuse/{key}.inprogress", 1, NOW - minutes * 60)
    return MarkerFact(entry, key, ("p", run), alive)


def test_stale_markers_go_after_the_grace_unless_their_run_is_still_going():
    markers = (
        marker("dead", "r1", 120, alive=False),
        marker("alive", "r2", 120, alive=True),
        marker("recent", "r3", 5, alive=False),
        marker("retrying", "r4", 120, alive=False),
    )
    airflow = AirflowFacts(reachable=True, active_runs=frozenset({("p", "r4")}))
    plan = plan_removals(Facts(store(markers=markers), airflow), policy())
    assert paths(plan) == [".mlpipelines/reuse/dead.inprogress"]
    assert plan.removals[0].category is Category.MARKERS
    assert plan.removals[0].unchanged_since == NOW - 7200


def test_leftovers_go_after_the_grace_outside_running_runs():
    partial = "pipelinedata/p/{}/step/.out.partial-0123456789ab"
    leftovers = (
        Leftover(Entry(partial.format("done"), 5, NOW - 7200), ("p", "done")),
        Leftover(Entry(partial.format("going"), 5, NOW - 7200), ("p", "going")),
        Leftover(Entry(partial.format("fresh"), 5, NOW - 60), ("p", "fresh")),
        Leftover(Entry(".mlpipelines/snapshot-files/.blake3-ab.0123abcd", 9, NOW - 7200)),
    )
    airflow = AirflowFacts(reachable=True, active_runs=frozenset({("p", "going")}))
    plan = plan_removals(Facts(store(leftovers=leftovers), airflow), policy(orphans_only=True))
    assert paths(plan, Category.LEFTOVERS) == [
        partial.format("done"),
        ".mlpipelines/snapshot-files/.blake3-ab.0123abcd",
    ]


def test_a_leftover_inside_a_run_folder_that_goes_whole_goes_with_it():
    leftover = Leftover(
        Entry("pipelinedata/p/r3/prep/.x.partial-0123456789ab", 50, ago(60)), ("p", "r3")
    )
    facts = history()
    facts = StoreFacts(facts.datastore, facts.runs, facts.manifests, leftovers=(leftover,))
    plan = plan_removals(Facts(facts, ONLINE), policy(keep_last=3))
    assert paths(plan, Category.LEFTOVERS) == []
    [run] = [r for r in plan.removals if r.path == "pipelinedata/p/r3"]
    assert run.bytes == 250


def test_offline_takes_runs_changed_within_the_grace_and_live_markers_as_running():
    runs = (outputs("p", "busy", 0.01), outputs("p", "held", 50), outputs("p", "old", 60))
    markers = (marker("m", "held", 0.5, alive=True),)
    facts = Facts(store(runs=runs, markers=markers), AirflowFacts(reachable=False))
    plan = plan_removals(facts, policy(keep_last=0, older_than=0))
    assert paths(plan, Category.OUTPUTS) == ["pipelinedata/p/old"]
    assert any("offline" in note for note in plan.notes)


# -- specs, snapshots, blobs ---------------------------------------------------------------
def spec(folder: str, name: str, days: float, digest: str, *snapshots: str) -> SpecDoc:
    entry = Entry(f".mlpipelines/{folder}/{name}.json", 10, ago(days))
    return SpecDoc(entry, name, digest, frozenset(snapshots))


def snapshot(name: str, days: float, *blobs: str, listing: bool = False) -> SnapshotFact:
    path = f".mlpipelines/snapshot-files/{name}"
    entries = (Entry(path, 100, ago(days)),)
    if listing:
        entries = (Entry(path + ".json", 1, ago(days)), *entries)
    return SnapshotFact(name, entries, blobs)


def test_specs_without_a_record_or_kept_run_go_after_the_grace():
    control = ControlFacts(
        specs=(
            spec("specs", "published__v1", 90, "d1", "s-1"),
            spec("specs", "timed_out__v2", 90, "d2", "s-2"),
            spec("specs", "just_stored", 0.001, "d3"),
            spec("specs", "p", 90, "d4"),
        ),
        recorded_dag_ids=frozenset({"published__v1"}),
    )
    facts = Facts(history("p", (1,)), ONLINE, control)
    plan = plan_removals(facts, policy(orphans_only=True))
    assert paths(plan, Category.SPECS) == [".mlpipelines/specs/timed_out__v2.json"]


def test_specs_by_digest_stay_while_a_draft_a_run_or_a_current_spec_is_that_version():
    control = ControlFacts(
        specs=(spec("specs", "p", 90, "cur"),),
        specs_by_digest=(
            spec("specs-by-digest", "cur", 90, "cur"),
            spec("specs-by-digest", "draft", 90, "draft"),
            spec("specs-by-digest", "ran", 90, "ran"),
            spec("specs-by-digest", "new", 1, "new"),
            spec("specs-by-digest", "gone", 90, "gone"),
        ),
        recorded_dag_ids=frozenset({"p"}),
        draft_digests=frozenset({"draft"}),
    )
    airflow = AirflowFacts(reachable=True, spec_digests=frozenset({"ran"}))
    plan = plan_removals(Facts(store(), airflow, control), policy())
    assert paths(plan, Category.SPECS_BY_DIGEST) == [".mlpipelines/specs-by-digest/gone.json"]
    assert plan_removals(Facts(store(), airflow, control), policy(orphans_only=True)).removals == []


def test_snapshots_of_published_pipelines_stay_however_old_and_unused_ones_go_listing_first():
    control = ControlFacts(
        specs=(spec("specs", "pub__v1", 400, "d", "blake3-pub"),),
        recorded_dag_ids=frozenset({"pub__v1"}),
        record_snapshots=frozenset({"blake3-module"}),
    )
    snapshots = (
        snapshot("blake3-pub", 400, "b1", "b2", listing=True),
        snapshot("blake3-module", 400),
        snapshot("blake3-old", 400, "b2", "b3", listing=True),
        snapshot("blake3-new", 1),
    )
    blobs = tuple(
        Entry(f".mlpipelines/blobs/blake3/{b[:2]}/{b}", 5, ago(400)) for b in ("b1", "b2", "b3")
    )
    facts = Facts(store(snapshots=snapshots, blobs=blobs), ONLINE, control)
    plan = plan_removals(facts, policy())
    assert paths(plan, Category.SNAPSHOTS) == [
        ".mlpipelines/snapshot-files/blake3-old.json",
        ".mlpipelines/snapshot-files/blake3-old",
    ]
    assert paths(plan, Category.BLOBS) == [".mlpipelines/blobs/blake3/b3/b3"]
    order = [r.category for r in plan.removals]
    assert order.index(Category.SNAPSHOTS) < order.index(Category.BLOBS)


def test_a_removed_spec_no_longer_keeps_its_snapshot():
    control = ControlFacts(specs=(spec("specs", "orphan", 90, "d", "blake3-x"),))
    facts = Facts(store(snapshots=(snapshot("blake3-x", 90),)), ONLINE, control)
    plan = plan_removals(facts, policy())
    assert paths(plan) == [".mlpipelines/specs/orphan.json", ".mlpipelines/snapshot-files/blake3-x"]


def test_without_the_control_store_no_snapshot_is_removed():
    facts = Facts(store(snapshots=(snapshot("blake3-x", 90),)), ONLINE, control=None)
    assert plan_removals(facts, policy()).removals == []


def test_reuse_listings_stay_while_a_step_record_names_them():
    listings = tuple(Entry(f".mlpipelines/reuse/snapshots/{n}.json", 2, ago(90)) for n in "ab")
    facts = Facts(store(reuse_listings=listings, step_record_snapshots=frozenset({"a"})), ONLINE)
    assert paths(plan_removals(facts, policy())) == [".mlpipelines/reuse/snapshots/b.json"]


# -- this machine --------------------------------------------------------------------------
def test_temp_folders_go_when_no_process_uses_them_and_the_grace_is_over():
    folders = (
        TempFolder(Entry("/tmp/mlpipelines-a-1", 10, NOW - 7200), in_use=False),
        TempFolder(Entry("/tmp/mlpipelines-b-2", 10, NOW - 7200), in_use=True),
        TempFolder(Entry("/tmp/mlpipelines-c-3", 10, NOW - 60), in_use=False),
    )
    caches = (
        StatCacheFact(Entry("/h/stat/1.blake3", 4, NOW - 7200), roots_exist=False),
        StatCacheFact(Entry("/h/stat/2.blake3", 4, NOW - 7200), roots_exist=True),
    )
    machine = MachineFacts(folders, caches, (Entry("/h/stat/.stat-x.tmp", 1, NOW - 7200),))
    plan = plan_removals(Facts(store(), ONLINE, machine=machine), policy(orphans_only=True))
    assert paths(plan) == ["/tmp/mlpipelines-a-1", "/h/stat/1.blake3", "/h/stat/.stat-x.tmp"]


def test_temp_folders_stay_where_processes_cannot_be_inspected():
    folder = TempFolder(Entry("/tmp/mlpipelines-a-1", 10, NOW - 7200), in_use=False)
    machine = MachineFacts((folder,), inspectable=False)
    plan = plan_removals(Facts(store(), ONLINE, machine=machine), policy())
    assert plan.removals == []
    assert any("temp work folders kept" in note for note in plan.notes)

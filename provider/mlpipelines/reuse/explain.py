"""Why a step ran: the components of its key that differ from its last recorded run."""

from __future__ import annotations

from typing import Any

from mlpipelines.snapshot import diff_files


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def explain_changes(
    previous: dict[str, Any],
    current: dict[str, Any],
    previous_files: dict[str, str] | None = None,
    current_files: dict[str, str] | None = None,
) -> list[str]:
    """One line per changed component of the key, naming what changed."""
    if previous.get("schema") != current.get("schema"):
        return ["the reuse key's schema version changed"]
    reasons: list[str] = []
    if previous.get("snapshot") != current.get("snapshot"):
        reasons.append(_source_change(previous_files, current_files))
    if previous.get("script") != current.get("script"):
        reasons.append(
            f"script changed from {previous.get('script')!r} to {current.get('script')!r}"
        )
    reasons += _argument_changes(previous.get("arguments", []), current.get("arguments", []))
    for section, what in (("params", "param"), ("environment_variables", "environment variable")):
        reasons += _named_changes(what, previous.get(section, {}), current.get(section, {}))
    reasons += _input_changes(previous.get("inputs", {}), current.get("inputs", {}))
    for name in ("kind", "interpreter", "compute_target", "version", "outputs", "engine"):
        if previous.get(name) != current.get(name):
            reasons.append(
                f"{name.replace('_', ' ')} changed from {_short(previous.get(name))} "
                f"to {_short(current.get(name))}"
            )
    return reasons or ["the key changed"]


def _source_change(before: dict[str, str] | None, after: dict[str, str] | None) -> str:
    if before is None or after is None:
        return "the source snapshot changed"
    changed = diff_files(before, after)
    parts = [
        f"{what} {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
        for what, names in changed.items()
        if names
    ]
    return "source files changed: " + "; ".join(parts)


def _argument_changes(old_args: list[Any], new_args: list[Any]) -> list[str]:
    reasons = []
    if len(old_args) != len(new_args):
        reasons.append(f"arguments changed from {_short(old_args)} to {_short(new_args)}")
    for index, (old, new) in enumerate(zip(old_args, new_args, strict=False)):
        if old != new:
            reasons.append(f"argument {index + 1} changed from {_short(old)} to {_short(new)}")
    return reasons


def _named_changes(what: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [
        f"{what} {name} changed from {_short(old.get(name))} to {_short(new.get(name))}"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]


def _input_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    reasons = []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            reasons.append(f"input {name} was {'added' if name in new else 'removed'}")
        elif old[name] != new[name]:
            reasons.append(
                f"input {name}'s data changed (fingerprint "
                f"{str(old[name].get('fingerprint'))[:19]} -> "
                f"{str(new[name].get('fingerprint'))[:19]})"
            )
    return reasons

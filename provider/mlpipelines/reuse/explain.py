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
    reasons: list[str] = []
    if previous.get("schema") != current.get("schema"):
        return ["the reuse key's schema version changed"]
    if previous.get("snapshot") != current.get("snapshot"):
        if previous_files is not None and current_files is not None:
            changed = diff_files(previous_files, current_files)
            parts = [
                f"{what} {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
                for what, names in changed.items()
                if names
            ]
            reasons.append("source files changed: " + "; ".join(parts))
        else:
            reasons.append("the source snapshot changed")
    if previous.get("script") != current.get("script"):
        reasons.append(
            f"script changed from {previous.get('script')!r} to {current.get('script')!r}"
        )
    old_args, new_args = previous.get("arguments", []), current.get("arguments", [])
    if old_args != new_args:
        if len(old_args) != len(new_args):
            reasons.append(f"arguments changed from {_short(old_args)} to {_short(new_args)}")
        for index, (old, new) in enumerate(zip(old_args, new_args, strict=False)):
            if old != new:
                reasons.append(f"argument {index + 1} changed from {_short(old)} to {_short(new)}")
    for section, what in (("params", "param"), ("environment_variables", "environment variable")):
        old, new = previous.get(section, {}), current.get(section, {})
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                reasons.append(
                    f"{what} {name} changed from {_short(old.get(name))} to {_short(new.get(name))}"
                )
    old_inputs, new_inputs = previous.get("inputs", {}), current.get("inputs", {})
    for name in sorted(set(old_inputs) | set(new_inputs)):
        if name not in old_inputs or name not in new_inputs:
            reasons.append(f"input {name} was {'added' if name in new_inputs else 'removed'}")
        elif old_inputs[name] != new_inputs[name]:
            reasons.append(
                f"input {name}'s data changed (fingerprint "
                f"{str(old_inputs[name].get('fingerprint'))[:19]} -> "
                f"{str(new_inputs[name].get('fingerprint'))[:19]})"
            )
    for name in ("kind", "interpreter", "compute_target", "version", "outputs", "engine"):
        if previous.get(name) != current.get(name):
            reasons.append(
                f"{name.replace('_', ' ')} changed from {_short(previous.get(name))} "
                f"to {_short(current.get(name))}"
            )
    return reasons or ["the key changed"]

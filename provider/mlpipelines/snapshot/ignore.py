"""The rules of a snapshot's `.amlignore` / `.gitignore` files, compiled as git compiles them.

Git decides level by level: a folder that a pattern excludes is never entered, so nothing below
it can be re-included, and each entry is matched on its own (a pattern never matches a file
through one of its parent folders). pathspec's `GitIgnoreSpec` matches whole paths instead and
gets exactly those cases wrong (`build/` then `!build/keep` keeps `build/keep`; `cache/` then
`!src/` keeps `src/cache/x`; git excludes both), so the patterns are compiled here, following
git's `dir.c` and `wildmatch.c`, and `snapshot.walk` prunes as git does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from operator import methodcaller

IGNORE_FILES = (".amlignore", ".gitignore")
"""Per folder, the first of these that exists is the one that applies (Azure ML's rule)."""

_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9a-fA-F",
}


@dataclass(frozen=True)
class IgnorePattern:
    """One line of an ignore file, compiled: what it matches and whether it re-includes."""

    regex: re.Pattern[str]
    negated: bool
    dir_only: bool
    on_path: bool  # matched against the path below the ignore file's folder, else the name
    tail: str = ""
    """Literal text every match ends with ("" when the glob ends in a wildcard)."""


def _bracket(glob: str, start: int) -> tuple[str, int] | None:
    """Translate the bracket expression at `glob[start] == "["`; None when it is not closed."""
    i = start + 1
    negate = i < len(glob) and glob[i] in "!^"
    if negate:
        i += 1
    parts: list[str] = []
    first = True
    while i < len(glob):
        char = glob[i]
        if char == "]" and not first:
            body = "".join(parts)
            # A bracket never matches "/" (git's WM_PATHNAME).
            return (f"[^/{body}]" if negate else f"(?!/)[{body}]"), i + 1
        first = False
        if char == "[" and glob.startswith("[:", i):
            end = glob.find(":]", i + 2)
            name = glob[i + 2 : end] if end != -1 else ""
            if name in _POSIX_CLASSES:
                parts.append(_POSIX_CLASSES[name])
                i = end + 2
                continue
        if char == "\\" and i + 1 < len(glob):
            i += 1
            char = glob[i]
        if char == "-" and parts and i + 1 < len(glob) and glob[i + 1] != "]":
            parts.append("-")
        else:
            parts.append(re.escape(char) if char in "\\]^-[" else char)
        i += 1
    return None


def _translate(glob: str) -> str:
    """A wildmatch glob (git's `WM_PATHNAME` rules) as a regular expression for `fullmatch`."""
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        char = glob[i]
        if char == "*":
            j = i
            while j < n and glob[j] == "*":
                j += 1
            at_start = i == 0 or glob[i - 1] == "/"
            if j - i >= 2 and at_start and (j == n or glob[j] == "/"):
                if j == n:  # "/**" at the end, or "**" alone: anything below
                    out.append(".*")
                    i = j
                else:  # "**/": zero or more folders
                    out.append("(?:.*/)?")
                    i = j + 1
                continue
            out.append("[^/]*")
            i = j
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[" and (bracket := _bracket(glob, i)) is not None:
            out.append(bracket[0])
            i = bracket[1]
        else:
            if char == "\\" and i + 1 < n:
                i += 1
                char = glob[i]
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def parse_line(line: str) -> IgnorePattern | None:
    """Compile one line of an ignore file; None for blank lines and comments."""
    line = line.rstrip("\r\n")
    # Trailing spaces are dropped unless escaped with a backslash.
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "
    line = stripped
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    on_path = "/" in line
    line = line.removeprefix("/")
    # The characters after the last one that may be special are literal, so a match ends so.
    tail = line[max(line.rfind(c) for c in "*?[]\\") + 1 :]
    regex = re.compile(_translate(line), re.DOTALL)
    return IgnorePattern(regex, negated, dir_only, on_path, tail)


def parse_patterns(text: str) -> list[IgnorePattern]:
    """Compile the text of an ignore file, in order (the last matching pattern wins)."""
    return [p for line in text.splitlines() if (p := parse_line(line)) is not None]


class _LevelMatcher:
    """One ignore file's patterns for files or for folders, as one regex per subject.

    Each pattern is a group of an alternation in reverse order, so the first alternative that
    matches is the file's last matching pattern, found in one regex call instead of one per line.
    """

    __slots__ = ("any", "name_meta", "name_regex", "name_tails", "path_meta", "path_regex")

    def __init__(self, patterns: list[tuple[int, IgnorePattern]]) -> None:
        on_name = [p for p in patterns if not p[1].on_path]
        self.name_regex, self.name_meta = _combine(on_name)
        self.path_regex, self.path_meta = _combine([p for p in patterns if p[1].on_path])
        self.any = bool(patterns)
        # A name that ends in none of the patterns' literal tails matches none of them: one
        # search of a folder's names joined by NUL for each tail + NUL usually clears them all,
        # and otherwise endswith (a few times faster than the regex) picks the names to match.
        tails = tuple(p.tail for _, p in on_name)
        self.name_tails = tails if all(tails) else None

    def decide(self, below: str, name: str) -> bool | None:
        """Excluded (True), re-included (False), or None when no pattern matches."""
        best, negated = -1, False
        if self.name_regex is not None and (m := self.name_regex.fullmatch(name)):
            best, negated = self.name_meta[m.lastindex - 1]  # type: ignore[operator]
        if self.path_regex is not None and (m := self.path_regex.fullmatch(below)):
            index, path_negated = self.path_meta[m.lastindex - 1]  # type: ignore[operator]
            if index > best:
                best, negated = index, path_negated
        return None if best < 0 else not negated


def _combine(
    patterns: list[tuple[int, IgnorePattern]],
) -> tuple[re.Pattern[str] | None, tuple[tuple[int, bool], ...]]:
    # _translate emits no capturing group, so group i is exactly pattern i of the alternation.
    ordered = sorted(patterns, key=lambda p: -p[0])
    if not ordered:
        return None, ()
    regex = re.compile("|".join(f"({p.regex.pattern})" for _, p in ordered), re.DOTALL)
    return regex, tuple((index, p.negated) for index, p in ordered)


class Rules:
    """The patterns of one ignore file and the folder (relative path, "" or "a/b/") it sits in,
    compiled once for files and once for folders."""

    __slots__ = ("base", "files", "folders", "patterns")

    def __init__(self, base: str, patterns: tuple[IgnorePattern, ...]) -> None:
        self.base = base
        self.patterns = patterns
        indexed = list(enumerate(patterns))
        self.files = _LevelMatcher([p for p in indexed if not p[1].dir_only])
        self.folders = _LevelMatcher(indexed)


def kept_names(names: list[str], prefix: str, rules: list[Rules], folders: bool) -> list[str]:
    """The `names` of one folder's files (or subfolders), at `prefix`, that no ignore file of
    `rules` (outermost first) excludes; `.git` never.

    The deepest ignore file with a matching pattern decides; in it, the last match wins. Each
    file's patterns first run over the whole folder at once (`filter`, no Python call per
    entry); only the few names some pattern matches are then decided one by one.
    """
    if ".git" in names:
        names = [name for name in names if name != ".git"]
    if folders:
        checks = [(len(r.base), r.folders) for r in reversed(rules) if r.folders.any]
    else:
        checks = [(len(r.base), r.files) for r in reversed(rules) if r.files.any]
    if not checks:
        return names
    matched: set[str] = set()
    listed = ""
    for cut, matcher in checks:
        tails = matcher.name_tails
        if matcher.name_regex is not None and tails is None:
            matched.update(filter(matcher.name_regex.fullmatch, names))
        elif matcher.name_regex is not None and tails is not None:
            listed = listed or "\0".join(names) + "\0"
            if any(tail + "\0" in listed for tail in tails):
                candidates = filter(methodcaller("endswith", tails), names)
                matched.update(filter(matcher.name_regex.fullmatch, candidates))
        if matcher.path_regex is not None:
            base = prefix[cut:]
            below = filter(matcher.path_regex.fullmatch, map(base.__add__, names))
            matched.update(path[len(base) :] for path in below)
    if not matched:
        return names
    excluded = {name for name in matched if _excluded(name, prefix, checks)}
    return [name for name in names if name not in excluded] if excluded else names


def _excluded(name: str, prefix: str, checks: list[tuple[int, _LevelMatcher]]) -> bool:
    for cut, matcher in checks:
        decided = matcher.decide((prefix + name)[cut:], name)
        if decided is not None:
            return decided
    return False


def read_rules(folder: str, names: list[str], base: str) -> Rules | None:
    """The rules of the ignore file that applies in `folder` (listed as `names`), if any."""
    for ignore_file in IGNORE_FILES:
        if ignore_file in names:
            path = os.path.join(folder, ignore_file)
            if not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                patterns = parse_patterns(f.read())
            return Rules(base, tuple(patterns)) if patterns else None
    return None

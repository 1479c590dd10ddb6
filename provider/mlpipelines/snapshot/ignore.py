"""The files a snapshot keeps: a folder walked under its `.amlignore` / `.gitignore` rules.

Git decides level by level: a folder that a pattern excludes is never entered, so nothing below
it can be re-included, and each entry is matched on its own (a pattern never matches a file
through one of its parent folders). pathspec's `GitIgnoreSpec` matches whole paths instead and
gets exactly those cases wrong (`build/` then `!build/keep` keeps `build/keep`; `cache/` then
`!src/` keeps `src/cache/x`; git excludes both), so the patterns are compiled here, following
git's `dir.c` and `wildmatch.c`, and the walk prunes as git does.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from operator import itemgetter

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
    return IgnorePattern(re.compile(_translate(line), re.DOTALL), negated, dir_only, on_path)


def parse_patterns(text: str) -> list[IgnorePattern]:
    """Compile the text of an ignore file, in order (the last matching pattern wins)."""
    return [p for line in text.splitlines() if (p := parse_line(line)) is not None]


class _LevelMatcher:
    """One ignore file's patterns for files or for folders, as one regex per subject.

    Each pattern is a group of an alternation in reverse order, so the first alternative that
    matches is the file's last matching pattern, found in one regex call instead of one per line.
    """

    __slots__ = ("any", "name_meta", "name_regex", "path_meta", "path_regex")

    def __init__(self, patterns: list[tuple[int, IgnorePattern]]) -> None:
        self.name_regex, self.name_meta = _combine([p for p in patterns if not p[1].on_path])
        self.path_regex, self.path_meta = _combine([p for p in patterns if p[1].on_path])
        self.any = bool(patterns)

    def decide_all(self, below: list[str], names: list[str]) -> list[bool | None]:
        """`decide` of each (path below the ignore file's folder, name) pair."""
        if self.path_regex is None:
            return _decide_each(self.name_regex, self.name_meta, names)
        if self.name_regex is None:
            return _decide_each(self.path_regex, self.path_meta, below)
        return [self.decide(b, n) for b, n in zip(below, names, strict=True)]

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


def _decide_each(
    regex: re.Pattern[str] | None, meta: tuple[tuple[int, bool], ...], subjects: list[str]
) -> list[bool | None]:
    if regex is None:
        return [None] * len(subjects)
    match = regex.fullmatch
    return [
        None if (m := match(s)) is None else not meta[m.lastindex - 1][1]  # type: ignore[operator]
        for s in subjects
    ]


def _combine(
    patterns: list[tuple[int, IgnorePattern]],
) -> tuple[re.Pattern[str] | None, tuple[tuple[int, bool], ...]]:
    # _translate emits no capturing group, so group i is exactly pattern i of the alternation.
    ordered = sorted(patterns, key=lambda p: -p[0])
    if not ordered:
        return None, ()
    regex = re.compile("|".join(f"({p.regex.pattern})" for _, p in ordered), re.DOTALL)
    return regex, tuple((index, p.negated) for index, p in ordered)


class _Rules:
    """The patterns of one ignore file and the folder (relative path, "" or "a/b/") it sits in,
    compiled once for files and once for folders."""

    __slots__ = ("base", "files", "folders", "patterns")

    def __init__(self, base: str, patterns: tuple[IgnorePattern, ...]) -> None:
        self.base = base
        self.patterns = patterns
        indexed = list(enumerate(patterns))
        self.files = _LevelMatcher([p for p in indexed if not p[1].dir_only])
        self.folders = _LevelMatcher(indexed)


def _kept(names: list[str], prefix: str, checks: list[tuple[int, _LevelMatcher]]) -> list[str]:
    """The `names` (of one folder, at `prefix`) that no ignore file excludes; `.git` never.

    The deepest ignore file with a matching pattern decides; in it, the last match wins. Each
    file's patterns run over the whole folder at once: no Python call per entry.
    """
    names = [name for name in names if name != ".git"]
    if not checks:
        return names
    decided: list[bool | None] | None = None
    for cut, matcher in checks:
        below = [(prefix + name)[cut:] for name in names] if matcher.path_regex else names
        level = matcher.decide_all(below, names)
        if decided is None:
            decided = level
        else:
            decided = [d if d is not None else e for d, e in zip(decided, level, strict=True)]
    return [name for name, excluded in zip(names, decided or [], strict=True) if not excluded]


def _read_rules(folder: str, names: set[str], base: str) -> _Rules | None:
    for ignore_file in IGNORE_FILES:
        if ignore_file in names:
            path = os.path.join(folder, ignore_file)
            if not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                patterns = parse_patterns(f.read())
            return _Rules(base, tuple(patterns)) if patterns else None
    return None


_BY_FD = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_Folder = tuple[str, str, list[_Rules]]  # path, relative prefix ("" or "a/b/"), rules in force


def _scan(
    folder: str, prefix: str, inherited: list[_Rules], with_stats: bool
) -> tuple[list[tuple[str, os.stat_result | None]], list[_Folder]]:
    """One folder's kept files (stat'ed when `with_stats`) and the subfolders to enter."""
    if not _BY_FD:
        with os.scandir(folder) as it:
            entries = list(it)
        return _keep(folder, prefix, inherited, entries, with_stats, None)
    # Read and stat through the folder's descriptor: the kernel resolves one name per file
    # instead of the whole path (a fifth less time for a deep tree).
    fd = os.open(folder, _DIRECTORY_FLAGS)
    try:
        with os.scandir(fd) as it:
            entries = list(it)
        return _keep(folder, prefix, inherited, entries, with_stats, fd)
    finally:
        os.close(fd)


def _keep(
    folder: str,
    prefix: str,
    inherited: list[_Rules],
    entries: list[os.DirEntry[str]],
    with_stats: bool,
    fd: int | None,
) -> tuple[list[tuple[str, os.stat_result | None]], list[_Folder]]:
    rules = inherited
    own = _read_rules(folder, {e.name for e in entries}, prefix)
    if own is not None:
        rules = [*inherited, own]
    dirs: list[str] = []
    files: list[str] = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            dirs.append(entry.name)
        elif entry.is_file():
            files.append(entry.name)
    # Deepest first; an ignore file without patterns for files (or folders) is skipped here.
    file_checks = [(len(r.base), r.files) for r in reversed(rules) if r.files.any]
    folder_checks = [(len(r.base), r.folders) for r in reversed(rules) if r.folders.any]
    folders: list[_Folder] = [
        (os.path.join(folder, name), f"{prefix}{name}/", rules)
        for name in _kept(dirs, prefix, folder_checks)
    ]
    kept = [(prefix + name, name) for name in _kept(files, prefix, file_checks)]
    if not with_stats:
        return [(relpath, None) for relpath, _ in kept], folders
    if fd is None:
        return [(relpath, os.stat(os.path.join(folder, name))) for relpath, name in kept], folders
    return [(relpath, os.stat(name, dir_fd=fd)) for relpath, name in kept], folders


def _walk(
    root: str | os.PathLike[str], with_stats: bool, workers: int
) -> list[tuple[str, os.stat_result | None]]:
    found: list[tuple[str, os.stat_result | None]] = []
    first: _Folder = (os.fspath(root), "", [])
    if workers <= 1:
        stack = [first]
        while stack:
            files, folders = _scan(*stack.pop(), with_stats)
            found += files
            stack += folders
    else:
        # scandir and stat release the GIL: folders are read side by side, as git's preload.
        with ThreadPoolExecutor(workers, thread_name_prefix="snapshot-walk") as pool:
            pending = {pool.submit(_scan, *first, with_stats)}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    files, folders = future.result()
                    found += files
                    pending.update(pool.submit(_scan, *f, with_stats) for f in folders)
    found.sort(key=itemgetter(0))
    return found


def snapshot_files(root: str | os.PathLike[str], workers: int = 1) -> list[str]:
    """Sorted posix paths, relative to `root`, of the regular files a snapshot of it keeps.

    Symlinks to files count as files; symlinks to folders are not followed; `.git` is skipped.
    """
    return [relpath for relpath, _ in _walk(root, False, workers)]


def snapshot_stats(
    root: str | os.PathLike[str], workers: int = 1
) -> list[tuple[str, os.stat_result]]:
    """`snapshot_files` with each file's stat (through symlinks), folders read by `workers`
    threads."""
    return _walk(root, True, workers)  # type: ignore[return-value]

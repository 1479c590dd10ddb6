"""Which files a snapshot keeps under `.amlignore` / `.gitignore`, as git and Azure ML decide."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mlpipelines.snapshot import snapshot_files


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_empty_root_keeps_nothing(tmp_path: Path) -> None:
    assert snapshot_files(tmp_path) == []


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        snapshot_files(tmp_path / "absent")


def test_without_ignore_files_every_file_is_kept_sorted_and_posix(tmp_path: Path) -> None:
    make_tree(tmp_path, {"b.py": "", "a/z.py": "", "a/b/c.txt": ""})
    assert snapshot_files(tmp_path) == ["a/b/c.txt", "a/z.py", "b.py"]


def test_amlignore_beats_gitignore_in_the_same_folder(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {".amlignore": "*.csv\n", ".gitignore": "*.py\n", "data.csv": "", "train.py": ""},
    )
    assert snapshot_files(tmp_path) == [".amlignore", ".gitignore", "train.py"]


def test_gitignore_applies_in_a_folder_without_amlignore(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            ".amlignore": "*.csv\n",
            "sub/.gitignore": "*.tmp\n",
            "sub/a.tmp": "",
            "sub/b.csv": "",
            "sub/c.py": "",
            "top.tmp": "",
        },
    )
    assert snapshot_files(tmp_path) == [".amlignore", "sub/.gitignore", "sub/c.py", "top.tmp"]


def test_nested_ignore_file_patterns_are_relative_to_its_folder(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "sub/.gitignore": "/local.txt\ndeep/x.txt\n",
            "local.txt": "",
            "sub/local.txt": "",
            "sub/more/local.txt": "",
            "sub/deep/x.txt": "",
            "deep/x.txt": "",
        },
    )
    assert snapshot_files(tmp_path) == [
        "deep/x.txt",
        "local.txt",
        "sub/.gitignore",
        "sub/more/local.txt",
    ]


def test_nested_ignore_file_adds_to_and_overrides_its_parents(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            ".gitignore": "*.log\n*.tmp\n",
            "sub/.gitignore": "!keep.log\n",
            "sub/keep.log": "",
            "sub/x.tmp": "",
            "keep.log": "",
        },
    )
    assert snapshot_files(tmp_path) == [".gitignore", "sub/.gitignore", "sub/keep.log"]


def test_negation_re_includes(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {".gitignore": "*.log\n!keep.log\n", "a.log": "", "keep.log": "", "d/keep.log": ""},
    )
    assert snapshot_files(tmp_path) == [".gitignore", "d/keep.log", "keep.log"]


def test_directory_pattern_prunes_folders_not_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(
        tmp_path,
        {".gitignore": "build/\n", "build/a.o": "", "src/build/b.o": "", "src/build.py": ""},
    )
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "build").write_text("a file named build")
    visited: list[str] = []
    scandir, open_ = os.scandir, os.open

    def recording_scandir(path):  # type: ignore[no-untyped-def]
        if not isinstance(path, int):  # a folder opened by path, else by descriptor (below)
            visited.append(os.path.relpath(path, tmp_path))
        return scandir(path)

    def recording_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        visited.append(os.path.relpath(path, tmp_path))
        return open_(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", recording_scandir)
    monkeypatch.setattr(os, "open", recording_open)
    assert snapshot_files(tmp_path) == [".gitignore", "lib/build", "src/build.py"]
    assert not any("build" in folder for folder in visited)
    assert "src" in visited


def test_a_file_under_an_excluded_folder_cannot_be_re_included(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {".gitignore": "build/\n!build/keep\ncache/\n!src/\n", "build/keep": "", "src/cache/x": ""},
    )
    assert snapshot_files(tmp_path) == [".gitignore"]


def test_contents_pattern_allows_re_including_one_file(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "build/*\n!build/keep\n", "build/keep": "", "build/x": ""})
    assert snapshot_files(tmp_path) == [".gitignore", "build/keep"]


def test_whitelist_idiom_keeps_only_python_files(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            ".amlignore": "*\n!*/\n!*.py\n",
            "a.py": "",
            "a.txt": "",
            "src/sub/b.py": "",
            "src/c.md": "",
        },
    )
    assert snapshot_files(tmp_path) == ["a.py", "src/sub/b.py"]


def test_anchored_pattern_matches_only_at_its_level(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "/top.txt\n", "top.txt": "", "a/top.txt": ""})
    assert snapshot_files(tmp_path) == [".gitignore", "a/top.txt"]


def test_double_star_directory_pattern(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            ".gitignore": "**/cache/\n",
            "cache/a": "",
            "x/y/cache/b": "",
            "x/cache.py": "",
            "x/cachex/c": "",
        },
    )
    assert snapshot_files(tmp_path) == [".gitignore", "x/cache.py", "x/cachex/c"]


def test_double_star_in_the_middle_matches_zero_or_more_folders(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {".gitignore": "a/**/b.txt\n", "a/b.txt": "", "a/x/y/b.txt": "", "z/a/b.txt": ""},
    )
    assert snapshot_files(tmp_path) == [".gitignore", "z/a/b.txt"]


def test_comments_and_blank_lines_are_no_patterns(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            ".gitignore": "# *.py\n\n   \n\\#literal\nsecret.txt   \n",
            "a.py": "",
            "# *.py": "",
            "#literal": "",
            "secret.txt": "",
        },
    )
    assert snapshot_files(tmp_path) == ["# *.py", ".gitignore", "a.py"]


def test_character_classes_and_question_mark(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            ".gitignore": "[ab].txt\n[!x]y\nq?\n",
            "a.txt": "",
            "c.txt": "",
            "zy": "",
            "xy": "",
            "q1": "",
        },
    )
    assert snapshot_files(tmp_path) == [".gitignore", "c.txt", "xy"]


def test_git_folder_is_never_included(tmp_path: Path) -> None:
    make_tree(tmp_path, {".git/HEAD": "ref", "sub/.git": "gitdir: x", "a.py": ""})
    assert snapshot_files(tmp_path) == ["a.py"]


def test_symlinked_file_is_kept_and_symlinked_folder_not_followed(tmp_path: Path) -> None:
    outside = make_tree(tmp_path / "outside", {"data/big.bin": "x", "lib.py": "y"})
    root = make_tree(tmp_path / "root", {"main.py": ""})
    (root / "lib.py").symlink_to(outside / "lib.py")
    (root / "data").symlink_to(outside / "data", target_is_directory=True)
    (root / "dangling.py").symlink_to(tmp_path / "missing")
    assert snapshot_files(root) == ["lib.py", "main.py"]


def test_pruned_folders_ignore_files_are_not_read(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {".gitignore": "out/\n", "out/.gitignore": "!*\n", "out/x": "", "keep.py": ""},
    )
    assert snapshot_files(tmp_path) == [".gitignore", "keep.py"]


GIT_TREES = [
    {".gitignore": "*\n!*/\n!*.py\n", "a.py": "", "a.txt": "", "s/b.py": "", "s/t/c.txt": ""},
    {".gitignore": "*.txt\n!docs/\n", "docs/a.txt": "", "docs/b.md": "", "c.txt": ""},
    {".gitignore": "dir\n!dir/x\n/*.c\n", "dir/x": "", "dir/y": "", "a.c": "", "s/a.c": ""},
    {".gitignore": "*.log\n!important/*.log\nimportant/\n", "important/a.log": "", "x.log": ""},
    {".gitignore": "/*\n!/src/\n", "a": "", "src/b": "", "other/c": ""},
    {".gitignore": "a/**b\n**/x/**\n?.c\n", "a/b": "", "a/cb": "", "p/x/y/z": "", "1.c": ""},
    {".gitignore": "*.txt\n", "d/.gitignore": "!*.txt\n*.md\n", "d/e/a.txt": "", "d/b.md": ""},
    {
        ".gitignore": "doc/**/*.pdf\nfoo/*/bar\n",
        "doc/a.pdf": "",
        "doc/x/a.pdf": "",
        "foo/a/bar": "",
    },
    {".gitignore": "[[:digit:]]*\n\\[lit]\nsp\\ \n", "1a": "", "a1": "", "[lit]": "", "sp ": ""},
]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("files", GIT_TREES, ids=lambda f: f[".gitignore"].split("\n")[0])
def test_agrees_with_git(tmp_path: Path, files: dict[str, str]) -> None:
    make_tree(tmp_path, files)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(tmp_path), "ls-files", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
    ).stdout
    assert snapshot_files(tmp_path) == sorted(p.decode() for p in listed.split(b"\0") if p)


def _walk_tree(root: Path) -> Path:
    """Nested ignore files of both kinds, hidden files, symlinks to files and to folders."""
    make_tree(
        root,
        {
            ".gitignore": "*.log\n!keep.log\nbuild/\n",
            ".hidden": "",
            ".config/settings": "",
            "keep.log": "",
            "drop.log": "",
            "build/out.o": "",
            "src/.amlignore": "*.tmp\n",
            "src/.gitignore": "*.py\n",  # shadowed by .amlignore in the same folder
            "src/a.py": "",
            "src/a.tmp": "",
            "src/deep/.gitignore": "!*.tmp\nsecret/\n",
            "src/deep/b.tmp": "",
            "src/deep/secret/c": "",
            **{f"many/d{i}/f{j}.txt": "" for i in range(12) for j in range(5)},
        },
    )
    os.symlink(root / "src" / "a.py", root / "link-to-file.py")
    os.symlink(root / "src", root / "link-to-folder")
    os.symlink(root / "absent", root / "dangling")
    return root


@pytest.mark.usefixtures("walk_mode")
@pytest.mark.parametrize("by_descriptor", [True, False])
def test_parallel_walk_lists_what_the_serial_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_descriptor: bool
) -> None:
    from mlpipelines.snapshot import walk

    monkeypatch.setattr(walk, "_BY_FD", by_descriptor and walk._BY_FD)
    root = _walk_tree(tmp_path)
    serial = snapshot_files(root)
    assert ".hidden" in serial and ".config/settings" in serial and "link-to-file.py" in serial
    assert "keep.log" in serial and "drop.log" not in serial and "src/deep/b.tmp" in serial
    assert not any(p.startswith(("build/", "link-to-folder", "src/deep/secret")) for p in serial)
    assert "src/a.py" in serial and "src/a.tmp" not in serial and "dangling" not in serial
    for workers in (2, 4):
        assert snapshot_files(root, workers=workers) == serial
        relpaths, stats = walk.snapshot_stats(root, workers=workers)
        assert relpaths == serial
        for relpath, (size, _, _, ino) in zip(relpaths, stats, strict=True):
            assert (ino, size) == (
                os.stat(root / relpath).st_ino,
                os.stat(root / relpath).st_size,
            )


@pytest.mark.parametrize("files", GIT_TREES, ids=lambda f: f[".gitignore"].split("\n")[0])
def test_parallel_walk_keeps_what_git_keeps(tmp_path: Path, files: dict[str, str]) -> None:
    make_tree(tmp_path, files)
    assert snapshot_files(tmp_path, workers=3) == snapshot_files(tmp_path)


@pytest.mark.parametrize(
    ("line", "tail"),
    [
        ("*.pyc", ".pyc"),
        ("/build/", "build"),
        ("!keep.log", "keep.log"),
        ("*.py[cod]", ""),
        ("a\\*b", "b"),
        ("logs/**", ""),
        ("\\#notes", "#notes"),
    ],
)
def test_a_pattern_knows_the_literal_text_its_matches_end_with(line: str, tail: str) -> None:
    """Names not ending so are never run through the pattern's regex."""
    from mlpipelines.snapshot.ignore import parse_line

    pattern = parse_line(line)
    assert pattern is not None and pattern.tail == tail

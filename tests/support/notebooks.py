"""Small Jupyter notebooks for tests, written as nbformat 4 JSON (cells of source lines)."""

from __future__ import annotations

import json
from pathlib import Path


def write_notebook(path: Path, *cells: str, parameters: str | None = None) -> Path:
    """A notebook of code ``cells``; ``parameters`` (if given) becomes a cell tagged
    'parameters', placed first."""
    sources = [(parameters, ["parameters"])] if parameters is not None else []
    sources += [(cell, []) for cell in cells]
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {"tags": tags},
                "outputs": [],
                "source": source.splitlines(keepends=True),
            }
            for source, tags in sources
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path

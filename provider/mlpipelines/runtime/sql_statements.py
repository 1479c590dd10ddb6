"""A SQL script as separate statements for an engine that takes one at a time (a Databricks
SQL warehouse's Statement Execution API), with ``getvariable('name')`` turned into the named
parameter marker ``:name``, so parameter values travel beside the SQL, never inside it.

Split by sqlparse's lexer, which knows quotes, backticks and comments, so a ``;`` inside a
string or a comment never ends a statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlparse import lexer
from sqlparse import tokens as T

from mlpipelines._naming import IDENTIFIER


@dataclass(frozen=True)
class Statement:
    """One statement: the file line it starts on, its text (markers in place of
    ``getvariable`` calls), and the parameter names its markers use."""

    line: int
    text: str
    parameters: tuple[str, ...]


class StatementError(ValueError):
    """A ``getvariable`` call that cannot become a marker; ``line`` is the file line."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def split_statements(sql: str) -> list[Statement]:
    """The script's statements in order; empty and comment-only pieces are dropped."""
    tokens = list(lexer.tokenize(sql))
    found: list[Statement] = []
    current: list[tuple[object, str, int]] = []
    offset = 0
    for ttype, value in tokens:
        if ttype is T.Punctuation and value == ";":
            _close(sql, current, found)
            current = []
        else:
            current.append((ttype, value, offset))
        offset += len(value)
    _close(sql, current, found)
    return found


def _close(sql: str, pieces: list[tuple[object, str, int]], found: list[Statement]) -> None:
    first = next(
        (i for i, (t, v, _) in enumerate(pieces) if v.strip() and t not in T.Comment), None
    )
    if first is None:
        return
    pieces = pieces[first:]
    line = sql.count("\n", 0, pieces[0][2]) + 1
    text, parameters = _with_markers(pieces, sql)
    found.append(Statement(line, text.rstrip(), tuple(parameters)))


def _with_markers(pieces: list[tuple[object, str, int]], sql: str) -> tuple[str, list[str]]:
    """The statement's text with each ``getvariable('name')`` replaced by ``:name``."""
    out: list[str] = []
    used: list[str] = []
    i = 0
    while i < len(pieces):
        ttype, value, at = pieces[i]
        if ttype in T.Name and value.lower() == "getvariable":
            call = [j for j in range(i + 1, len(pieces)) if pieces[j][1].strip()][:3]
            shape = [pieces[j] for j in call]
            if (
                len(shape) == 3
                and shape[0][1] == "("
                and shape[1][0] in T.String
                and shape[1][1].startswith("'")
                and shape[2][1] == ")"
            ):
                name = shape[1][1][1:-1]
                if not IDENTIFIER.fullmatch(name):
                    raise StatementError(
                        sql.count("\n", 0, at) + 1,
                        f"getvariable({shape[1][1]}) names no parameter a warehouse can bind; "
                        "parameter names are letters, digits and underscores",
                    )
                out.append(f":{name}")
                if name not in used:
                    used.append(name)
                i = call[-1] + 1
                continue
        out.append(value)
        i += 1
    return "".join(out), used


def for_sessionless_engine(statement: Statement) -> Statement:
    """The statement as an engine without sessions runs it in the step's own schema: a
    TEMP view would vanish before the next statement, so it becomes a plain view; and a
    view may not hold parameter markers (Databricks SQL), so one that does becomes a table
    made from its query (CTAS), the same rows for the rest of the step."""
    words = [
        (i, value)
        for i, (ttype, value) in enumerate(lexer.tokenize(statement.text))
        if value.strip() and ttype not in T.Comment
    ][:3]
    tokens = [value for _, value in lexer.tokenize(statement.text)]
    head = [w.upper() for _, w in words]
    if not head or head[0] not in ("CREATE", "CREATE OR REPLACE"):
        return statement
    at = 1
    if len(head) > at and head[at] in ("TEMP", "TEMPORARY"):
        tokens[words[at][0]] = ""
        at += 1
    if len(head) <= at or head[at] != "VIEW":
        return statement
    if statement.parameters:
        tokens[words[at][0]] = "TABLE"
    text = "".join(tokens)
    if head[1] in ("TEMP", "TEMPORARY"):  # the emptied keyword leaves a double space
        text = text.replace(words[0][1] + "  ", words[0][1] + " ", 1)
    return Statement(statement.line, text, statement.parameters)


__all__ = ["Statement", "StatementError", "for_sessionless_engine", "split_statements"]

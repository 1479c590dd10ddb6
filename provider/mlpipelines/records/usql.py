"""U-SQL in an analytics step's script: the constructs that say a script is U-SQL (Azure Data
Lake Analytics' language) rather than SQL, and what to write instead. One list, read both by
validation (refused before a run) and by the runtime (a script changed since)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# (pattern, the U-SQL construct, what to write instead); {inputs}, {outputs} and {params}
# are filled with the step's own names.
USQL_CONSTRUCTS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"\bEXTRACT\b[^;]*?\bUSING\s+Extractors\s*\.", re.I),
        "EXTRACT ... USING Extractors",
        "each input is already a view named after it (here: {inputs}); SELECT ... FROM it",
    ),
    (
        re.compile(r"\bOUTPUT\b[^;]*?\bTO\b[^;]*?\bUSING\s+Outputters\s*\.", re.I),
        "OUTPUT ... TO ... USING Outputters",
        "create a view or table named after each output (here: {outputs}), "
        "CREATE VIEW <output> AS SELECT ...; it is written as Parquet",
    ),
    (
        re.compile(r"^[ \t]*@\w+\s*=", re.M),
        "@rowset = ...",
        "name an intermediate result with CREATE VIEW <name> AS SELECT ...",
    ),
    (
        re.compile(r"\bDECLARE\s+(?:EXTERNAL\s+)?@\w+", re.I),
        "DECLARE @name",
        "read a parameter with getvariable('name') (params here: {params})",
    ),
    (
        # C#'s own names, case-sensitive: SQL's functions of similar names are not written so.
        re.compile(
            r"\.(?:ToUpper|ToLower|ToString|StartsWith|EndsWith|IndexOf|Equals)\s*\("
            r"|\b(?:DateTime|Convert|Math|String|Regex)\.[A-Z]\w*"
            r"|\bnew\s+(?:SQL\.)?[A-Z]\w*(?:<[^>]*>)?\s*\("
            r"|\?\?|\(\s*(?:int|long|double|string|float)\s*\)"
        ),
        "a C# expression",
        "write it as a SQL expression (upper(x), CAST(x AS ...), coalesce(a, b), "
        "strftime(...), CASE WHEN ... THEN ... END)",
    ),
)


@dataclass(frozen=True)
class UsqlConstruct:
    """One U-SQL construct found: its 1-based line, its name, what to write instead."""

    line: int
    construct: str
    instead: str


def find_usql(sql: str, inputs: str, outputs: str, params: str) -> list[UsqlConstruct]:
    """The U-SQL constructs in ``sql`` (the first of each kind), in line order; the names
    given fill in the advice."""
    names = {"inputs": inputs or "none", "outputs": outputs or "none", "params": params or "none"}
    found = []
    for pattern, construct, instead in USQL_CONSTRUCTS:
        match = pattern.search(sql)
        if match:
            line = sql.count("\n", 0, match.start()) + 1
            found.append(UsqlConstruct(line, construct, instead.format(**names)))
    return sorted(found, key=lambda c: c.line)

#!/usr/bin/env python3
"""Checks that the folders under src/ keep to their layers (docs/architecture.md, "Layers").

Usage: check_layering.py [SRC_DIR]    (default: the src/ folder next to tests/)
Exit status: 0 when the tree keeps every rule, 1 with one line per finding, 2 on a usage error.
Standard library only.

Every .h/.hpp/.cc/.cpp file under SRC_DIR is read. An include names a project folder when its
first path segment is one of the folders in LAYERS (or TEST_SUPPORT), in either "x/y.h" or <x/y.h>
form. The rules:

  layer       A file in folder A may include folder B only when B's layer is lower than A's, or
              when A and B are the same folder, or when A -> B is one of the SAME_LAYER_EDGES
              below. So an include that points up the layers fails, and so does an include
              sideways between two folders of one layer unless it is listed. The list holds
              exactly the sideways edges the tree has today (api -> http: the REST handlers are
              built on the HTTP router; store -> blob: the PostgreSQL backend stores blob bytes
              in rows; platform -> core: the seams return core's Status). A new one is a design
              decision: add it here with its reason, and to docs/architecture.md.
  front-end   The front ends (http/, api/, smtp/, cmd/) never include store/: they call app/,
              which owns every store transaction. cmd/ is also the composition root, and the few
              files that construct a concrete backend or copy between backends are allowed to
              (COMPOSITION_ROOT_STORE_FILES: open_store.h/.cpp open SQLite or PostgreSQL for
              `serve` and the offline commands; admin_migrate.cpp copies SQLite into
              PostgreSQL). The rest of cmd/ only holds the Store interface OpenStore returns.
  sql         No SQL outside src/store/: a string literal (adjacent literals are joined, as the
              compiler does) that reads like SQL - SELECT ..., INSERT INTO, UPDATE t SET,
              DELETE FROM, CREATE/DROP/ALTER TABLE|INDEX|..., BEGIN/COMMIT/ROLLBACK, PRAGMA,
              SAVEPOINT, ON CONFLICT, FOR UPDATE - fails. Only upper-case keywords count (the
              store writes its SQL in upper case; prose such as "select a file" must not trip
              it), and "DELETE" alone is an HTTP method, not SQL. Unit tests (*_test.cpp) are
              exempt: tamper tests rewrite rows the way an attacker with the database would.
  internal    P/internal/ is private to the folder P that holds it, P/ and below: no other
              folder includes it. P may be nested: store/sqlite/internal/ is the SQLite
              backend's alone, not the rest of store/'s.
  testing     testing/ (and any */testing/ folder) is test support: only tests (*_test.cpp,
              *_test_fixture.h) and other test support include it, and testing/ itself
              includes only the lowest layer.
  table       Every folder under src/ must appear in LAYERS or TEST_SUPPORT, and no include may
              climb out with "..": a folder the table does not know cannot be checked.

The self-test (check_layering_test.py) builds small trees that break each rule.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Lowest first. Folders that do not exist yet are listed so that they land in the right place.
LAYERS: list[tuple[str, ...]] = [
    ("core", "platform"),
    ("telemetry",),
    ("crypto",),
    ("keys", "store", "blob", "tlog", "mime", "pgp", "smime"),
    ("audit", "auth", "delivery", "trust", "receipts"),
    ("app",),
    ("http", "api", "smtp"),
    ("cmd",),
]

# Sideways edges (same layer) that are allowed, with the reason; see the module docstring.
SAME_LAYER_EDGES: dict[tuple[str, str], str] = {
    ("platform", "core"): "the OS seams return core's Status and types",
    ("store", "blob"): "the PostgreSQL backend implements blob::RawBlobStore in rows",
    ("api", "http"): "the REST handlers are routes on the HTTP router and answer problem+json",
}

TEST_SUPPORT = "testing"
FRONT_ENDS = ("http", "api", "smtp", "cmd")
# Paths relative to src/. cmd/ is the composition root: these files build concrete stores.
COMPOSITION_ROOT_STORE_FILES = frozenset({
    "cmd/open_store.h",
    "cmd/open_store.cpp",
    "cmd/admin_migrate.cpp",
})

SOURCE_SUFFIXES = (".h", ".hpp", ".cc", ".cpp")

LAYER_OF: dict[str, int] = {folder: i for i, group in enumerate(LAYERS) for folder in group}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

# Each pattern is applied to one (joined) string literal. Upper case only, on purpose.
SQL_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("SELECT", re.compile(r"\bSELECT(\s+(DISTINCT\s+)?[\w*(\"']|\s*$)")),
    ("INSERT INTO", re.compile(r"\bINSERT\s+(OR\s+[A-Z]+\s+)?INTO\b")),
    ("UPDATE ... SET", re.compile(r"\bUPDATE\s+[\w.\"]+\s+SET\b")),
    ("DELETE FROM", re.compile(r"\bDELETE\s+FROM\b")),
    ("DDL", re.compile(r"\b(CREATE|DROP|ALTER)\s+(TEMP\s+|TEMPORARY\s+|UNIQUE\s+)?"
                       r"(TABLE|INDEX|VIEW|TRIGGER|SCHEMA|SEQUENCE|EXTENSION|DATABASE|FUNCTION|"
                       r"CONSTRAINT\s+TRIGGER)\b")),
    ("transaction", re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK)(\s+(IMMEDIATE|EXCLUSIVE|DEFERRED|"
                               r"TRANSACTION|WORK))?\s*;?\s*$")),
    ("transaction", re.compile(r"\bBEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)\b")),
    ("PRAGMA", re.compile(r"\bPRAGMA\s+\w+")),
    ("SAVEPOINT", re.compile(r"\b(RELEASE\s+)?SAVEPOINT\s+\w+")),
    ("ON CONFLICT", re.compile(r"\bON\s+CONFLICT\b")),
    ("FOR UPDATE", re.compile(r"\bFOR\s+UPDATE\b")),
]


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the checked src/ folder's parent, e.g. src/api/foo.cpp
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


def strip_comments(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Returns the text with comments blanked (newlines kept) and its string literals.

    Literals are (line, contents); adjacent literals with only whitespace or comments between
    them are joined into one, as translation phase 6 does. Raw strings R"d(...)d" and prefixes
    (u8, L, u, U) are understood; character literals are skipped.
    """
    out: list[str] = []
    literals: list[tuple[int, str]] = []
    i, n, line = 0, len(text), 1
    pending: tuple[int, str] | None = None  # a literal that the next one may continue

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            literals.append(pending)
            pending = None

    def add_literal(start_line: int, body: str) -> None:
        nonlocal pending
        pending = (pending[0], pending[1] + body) if pending is not None else (start_line, body)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            chunk = text[i:j]
            out.append("".join(ch if ch == "\n" else " " for ch in chunk))
            line += chunk.count("\n")
            i = j
            continue
        raw = re.match(r'(?:u8|u|U|L)?R"([^()\\\s]{0,16})\(', text[i:i + 24])
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = ")" + raw.group(1) + '"'
            body_start = i + raw.end()
            j = text.find(close, body_start)
            j = n if j < 0 else j
            add_literal(line, text[body_start:j])
            end = min(n, j + len(close))
            chunk = text[i:end]
            out.append(chunk)
            line += chunk.count("\n")
            i = end
            continue
        if c == "'" and i > 0 and text[i - 1].isalnum():
            out.append(c)  # a digit separator (1'000) or the end of a u8'x' prefix run
            i += 1
            continue
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            if c == '"':
                add_literal(line, text[i + 1:j - 1])
            out.append(text[i:j])
            i = j
            continue
        if c == "\n":
            line += 1
        elif not c.isspace() and pending is not None:
            # A prefix such as u8 directly before the next literal does not end the run.
            if not re.match(r'(?:u8|u|U|L)"', text[i:i + 3]):
                flush()
        out.append(c)
        i += 1
    flush()
    return "".join(out), literals


def is_test_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return re.search(r"_test(_fixture)?\.(h|hpp|cc|cpp)$", name) is not None


def is_test_support(rel: str) -> bool:
    parts = rel.split("/")
    return parts[0] == TEST_SUPPORT or TEST_SUPPORT in parts[1:-1]


def check_tree(src: Path) -> list[Finding]:
    findings: list[Finding] = []
    known = set(LAYER_OF) | {TEST_SUPPORT}
    prefix = src.name

    for entry in sorted(p for p in src.iterdir() if p.is_dir()):
        if entry.name not in known:
            findings.append(Finding(f"{prefix}/{entry.name}", 0, "table",
                                    f"folder {entry.name}/ is not in the layer table of "
                                    "tests/layering/check_layering.py; add it to its layer"))

    files = sorted(p for p in src.rglob("*") if p.is_file() and p.name.endswith(SOURCE_SUFFIXES))
    for path in files:
        rel = path.relative_to(src).as_posix()
        if "/" not in rel:
            continue  # nothing lives directly in src/ but CMakeLists.txt
        folder = rel.split("/", 1)[0]
        if folder not in known:
            continue  # reported above: a folder the table does not place cannot be checked
        shown = f"{prefix}/{rel}"
        text = path.read_text(encoding="utf-8", errors="replace")
        code, literals = strip_comments(text)
        test_file = is_test_file(rel)

        for lineno, line in enumerate(code.split("\n"), start=1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            target = m.group(2).strip()
            findings.extend(check_include(shown, rel, folder, lineno, target, test_file))

        if folder != "store" and not test_file:
            for lineno, literal in literals:
                for what, pattern in SQL_PATTERNS:
                    if pattern.search(literal):
                        excerpt = " ".join(literal.split())[:60]
                        findings.append(Finding(shown, lineno, "sql",
                                                f'SQL ({what}) outside src/store/: "{excerpt}"; '
                                                "add a Store/WriteTxn operation instead"))
                        break
    return findings


def check_include(shown: str, rel: str, folder: str, lineno: int, target: str,
                  test_file: bool) -> list[Finding]:
    out: list[Finding] = []
    parts = target.split("/")
    if ".." in parts:
        out.append(Finding(shown, lineno, "table",
                           f'include "{target}" climbs with ".."; write it as folder/header.h'))
        return out
    if len(parts) < 2:
        return out  # a system or third-party header such as <string>
    to = parts[0]
    if to not in LAYER_OF and to != TEST_SUPPORT:
        return out  # <boost/...>, <openssl/...>, <sys/...>

    # testing/: who may use it, and what it may use.
    to_is_test_support = to == TEST_SUPPORT or TEST_SUPPORT in parts[1:-1]
    if to_is_test_support and not (test_file or is_test_support(rel)):
        out.append(Finding(shown, lineno, "testing",
                           f'"{target}" is test support; only *_test.cpp files and test '
                           "support may include it"))
    if folder == TEST_SUPPORT:
        if to != TEST_SUPPORT and LAYER_OF[to] != 0:
            out.append(Finding(shown, lineno, "testing",
                               f'testing/ includes "{target}"; it may use only the lowest layer '
                               f"({', '.join(LAYERS[0])})"))
        return out

    # internal/ is private to the folder that holds it (which may be nested: store/sqlite/).
    if "internal" in parts[1:-1]:
        owner = "/".join(parts[:parts.index("internal", 1)])
        if not rel.startswith(owner + "/"):
            out.append(Finding(shown, lineno, "internal",
                               f'"{target}" is internal to {owner}/; include its public header'))

    if to == TEST_SUPPORT or to == folder:
        return out

    # Rule 1: never up the layers, never sideways unless listed.
    mine, theirs = LAYER_OF[folder], LAYER_OF[to]
    if theirs > mine:
        out.append(Finding(shown, lineno, "layer",
                           f'{folder}/ (layer {mine}) includes "{target}" from {to}/ (layer '
                           f"{theirs}), a higher layer; the dependency must point down"))
    elif theirs == mine and (folder, to) not in SAME_LAYER_EDGES:
        out.append(Finding(shown, lineno, "layer",
                           f'{folder}/ includes "{target}" from {to}/ in the same layer '
                           f"({', '.join(LAYERS[mine])}); not an allowed sideways edge"))

    # Rule 2: front ends call app/, never store/ (cmd/'s backend-opening files excepted).
    if (to == "store" and folder in FRONT_ENDS and rel not in COMPOSITION_ROOT_STORE_FILES):
        out.append(Finding(shown, lineno, "front-end",
                           f'front end {folder}/ includes "{target}"; go through app/ (only '
                           "the composition root's " + ", ".join(
                               sorted(COMPOSITION_ROOT_STORE_FILES)) + " may open a store)"))
    return out


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        print(__doc__.split("\n\n", 2)[1], file=sys.stderr)
        return 2
    src = Path(argv[1]) if len(argv) == 2 else Path(__file__).resolve().parents[2] / "src"
    if not src.is_dir():
        print(f"check_layering: {src} is not a directory", file=sys.stderr)
        return 2
    findings = check_tree(src)
    for f in findings:
        print(f)
    count = len(list(p for p in src.rglob("*") if p.name.endswith(SOURCE_SUFFIXES)))
    if findings:
        print(f"check_layering: {len(findings)} finding(s) in {count} files under {src}; "
              "the rules are at the top of tests/layering/check_layering.py", file=sys.stderr)
        return 1
    print(f"check_layering: {count} files under {src} keep to the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""MLflow's search grammar for runs and experiments: filters and order_by, on plain values.

Filters are clauses joined by AND: `metrics.acc > 0.9 and params.lr = '0.01' and
tags."my tag" LIKE 'x%' and attributes.status = 'FINISHED'`, with = != > >= < <= on numbers,
= != LIKE ILIKE IN (...) NOT IN (...) on strings, IS NULL / IS NOT NULL on params and tags.
order_by is `<identifier> [ASC|DESC]`; runs missing the value sort last either way.
Nothing here touches the database: the selectors hand in rows as dicts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import MlflowError

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<back>`[^`]*`)
    | (?P<op>>=|<=|!=|<>|=|>|<)
    | (?P<lp>\() | (?P<rp>\)) | (?P<comma>,)
    | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
    | (?P<word>[A-Za-z_][\w.\-/:]*)
    )""",
    re.X,
)

_KINDS = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
}
RUN_NUMERIC = {"start_time", "end_time", "created"}
RUN_STRINGS = {"run_id", "run_name", "status", "user_id", "artifact_uri", "lifecycle_stage"}
_ALIASES = {"created": "start_time", "run name": "run_name", "runname": "run_name"}
EXPERIMENT_NUMERIC = {"creation_time", "last_update_time"}
EXPERIMENT_STRINGS = {"name", "experiment_id"}


@dataclass(frozen=True)
class Clause:
    kind: str  # metric | param | tag | attribute
    key: str
    op: str  # = != > >= < <= LIKE ILIKE IN NOT IN IS NULL IS NOT NULL
    value: object


def _invalid(message: str) -> MlflowError:
    return MlflowError.invalid(message)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _invalid(f"Invalid filter '{text}'. Could not parse at: '{text[pos:][:30]}'")
        pos = match.end()
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
    return tokens


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _identifier(tokens: list, i: int, numeric: set, strings: set) -> tuple[str, str, int]:
    kind_tok, text = tokens[i]
    if kind_tok == "back" or kind_tok == "str":
        raise _invalid(f"Invalid identifier {text}: put an entity type before it (metrics.{text}).")
    if kind_tok != "word":
        raise _invalid(f"Expected an identifier, found '{text}'.")
    prefix, dot, rest = text.partition(".")
    if not dot:
        name = _ALIASES.get(text.lower(), text.lower())
        if name not in numeric | strings:
            raise _invalid(
                f"Invalid attribute key '{text}' specified. Valid keys are "
                f"'{sorted(numeric | strings)}'"
            )
        return "attribute", name, i + 1
    kind = _KINDS.get(prefix.lower())
    if kind is None:
        raise _invalid(
            f"Invalid entity type '{prefix}'. Valid values are ['metric', 'parameter', 'tag', "
            "'attribute']"
        )
    if not rest:
        if i + 1 < len(tokens) and tokens[i + 1][0] in ("str", "back"):
            key = _unquote(tokens[i + 1][1])
            i += 1
        else:
            raise _invalid(f"Invalid identifier '{text}'.")
    else:
        key = rest
    if kind == "attribute":
        key = _ALIASES.get(key.lower(), key.lower())
        if key not in numeric | strings:
            raise _invalid(
                f"Invalid attribute key '{key}' specified. Valid keys are "
                f"'{sorted(numeric | strings)}'"
            )
    return kind, key, i + 1


def _word(tokens: list, i: int) -> str | None:
    return tokens[i][1].upper() if i < len(tokens) and tokens[i][0] == "word" else None


def parse_filter(
    text: str, *, numeric: set = RUN_NUMERIC, strings: set = RUN_STRINGS
) -> list[Clause]:
    """The clauses of a filter string (empty for none); INVALID_PARAMETER_VALUE otherwise."""
    if not text or not text.strip():
        return []
    tokens = _tokens(text)
    clauses, i = [], 0
    while True:
        if i >= len(tokens):
            raise _invalid(f"Invalid filter '{text}': a clause is missing after AND.")
        kind, key, i = _identifier(tokens, i, numeric, strings)
        is_numeric = kind == "metric" or (kind == "attribute" and key in numeric)
        word = _word(tokens, i)
        if word == "IS":
            negate = _word(tokens, i + 1) == "NOT"
            j = i + 2 if negate else i + 1
            if _word(tokens, j) != "NULL" or kind not in ("param", "tag"):
                raise _invalid(f"Invalid filter '{text}': IS [NOT] NULL works on params and tags.")
            clauses.append(Clause(kind, key, "IS NOT NULL" if negate else "IS NULL", None))
            i = j + 1
        elif word in ("IN", "NOT"):
            if word == "NOT":
                if _word(tokens, i + 1) != "IN":
                    raise _invalid(f"Invalid filter '{text}': expected NOT IN.")
                i += 1
            i += 1
            if i >= len(tokens) or tokens[i][0] != "lp":
                raise _invalid(f"Invalid filter '{text}': IN takes a list such as ('a', 'b').")
            values, i = [], i + 1
            while i < len(tokens) and tokens[i][0] != "rp":
                if tokens[i][0] == "str":
                    values.append(_unquote(tokens[i][1]))
                elif tokens[i][0] != "comma":
                    raise _invalid(f"Invalid filter '{text}': IN lists quoted strings.")
                i += 1
            if i >= len(tokens) or is_numeric:
                raise _invalid(f"Invalid filter '{text}': IN compares strings, in parentheses.")
            clauses.append(Clause(kind, key, "NOT IN" if word == "NOT" else "IN", tuple(values)))
            i += 1
        else:
            if word in ("LIKE", "ILIKE"):
                op = word
            elif i < len(tokens) and tokens[i][0] == "op":
                op = "!=" if tokens[i][1] == "<>" else tokens[i][1]
            else:
                raise _invalid(f"Invalid filter '{text}': a comparison is missing after '{key}'.")
            i += 1
            if i >= len(tokens):
                raise _invalid(f"Invalid filter '{text}': a value is missing after '{op}'.")
            vkind, vtext = tokens[i]
            if is_numeric:
                if op in ("LIKE", "ILIKE") or vkind != "num":
                    raise _invalid(
                        f"Expected numeric value type for metric or attribute '{key}'. "
                        f"Found {vtext}"
                    )
                value: object = float(vtext)
            else:
                if vkind != "str":
                    raise _invalid(
                        f"Value is either not quoted or unidentified quote types used for "
                        f"string value {vtext}. Use either single or double quotes."
                    )
                if op not in ("=", "!=", "LIKE", "ILIKE"):
                    raise _invalid(
                        f"Invalid comparator '{op}' not one of '['!=', '=', 'LIKE', 'ILIKE']'"
                    )
                value = _unquote(vtext)
            clauses.append(Clause(kind, key, op, value))
            i += 1
        if i >= len(tokens):
            return clauses
        if _word(tokens, i) != "AND":
            raise _invalid(f"Invalid filter '{text}': clauses are joined by AND.")
        i += 1


def _like(pattern: str, value: str, insensitive: bool) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S | (re.I if insensitive else 0)) is not None


def _compare(op: str, left, right) -> bool:
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "LIKE":
        return _like(right, left, False)
    if op == "ILIKE":
        return _like(right, left, True)
    if op == "IN":
        return left in right
    if op == "NOT IN":
        return left not in right
    if isinstance(left, float) and math.isnan(left):
        return False
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]


def matches(row: dict, clauses: list[Clause]) -> bool:
    """Whether a row ({"metric": {...}, "param": {...}, "tag": {...}, "attribute": {...}})
    meets every clause."""
    for clause in clauses:
        value = row[clause.kind].get(clause.key)
        if clause.op == "IS NULL":
            if value is not None:
                return False
            continue
        if clause.op == "IS NOT NULL":
            if value is None:
                return False
            continue
        if value is None:
            return False
        if isinstance(clause.value, float):
            value = float(value)
        elif not isinstance(clause.value, tuple):
            value = str(value)
        if not _compare(clause.op, value, clause.value):
            return False
    return True


def parse_order_by(
    items: list[str], *, numeric: set = RUN_NUMERIC, strings: set = RUN_STRINGS
) -> list[tuple[str, str, bool]]:
    """(kind, key, ascending) for each order_by item."""
    order = []
    for item in items:
        text = item.strip()
        ascending = True
        upper = text.upper()
        if upper.endswith(" DESC"):
            text, ascending = text[:-5].strip(), False
        elif upper.endswith(" ASC"):
            text = text[:-4].strip()
        tokens = _tokens(text)
        if not tokens:
            raise _invalid(f"Invalid order_by clause '{item}'.")
        kind, key, end = _identifier(tokens, 0, numeric, strings)
        if end != len(tokens):
            raise _invalid(f"Invalid order_by clause '{item}'. Could not be parsed.")
        order.append((kind, key, ascending))
    return order


def sort_rows(rows: list[dict], order: list[tuple[str, str, bool]]) -> list[dict]:
    """Rows sorted by each order item in turn (the first item decides first); rows missing a
    value go last."""
    for kind, key, ascending in reversed(order):
        present = [r for r in rows if r[kind].get(key) is not None]
        absent = [r for r in rows if r[kind].get(key) is None]
        present.sort(key=lambda r, k=kind, n=key: _sortable(r[k][n]), reverse=not ascending)
        rows = present + absent
    return rows


def _sortable(value):
    if isinstance(value, (int, float)):
        return (0, -math.inf if math.isnan(value) else value, "")
    return (1, 0, str(value))

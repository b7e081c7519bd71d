"""The shape of the code, as issue figures count it: the longest modules (outside migrations), the
longest views, the files at portfolio's top level, and imports against the dependency direction.

A view is a public function (no leading underscore) of a views module (`views.py`, `*_views.py`)
whose first parameter is `request`; its length runs from `def` to its last line, decorators left
out.

Usage: python bench/code_shape.py [--top 10]
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("projects", "milestones", "portfolio", "outbox", "tracking")
MODULE_LIMIT = 400
VIEW_LIMIT = 30
PORTFOLIO_TOP_LIMIT = 12

sys.path.insert(0, str(ROOT))
from tests.test_architecture import FORBIDDEN, violations  # noqa: E402


def sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def views(path: Path) -> list[tuple[int, str]]:
    if not (path.name == "views.py" or path.name.endswith("_views.py")):
        return []
    found = []
    for node in ast.parse(path.read_text()).body:
        if (
            isinstance(node, ast.FunctionDef)
            and not node.name.startswith("_")
            and node.args.args
            and node.args.args[0].arg == "request"
        ):
            found.append((node.end_lineno - node.lineno + 1, node.name))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()

    files = sources()
    modules = sorted(
        ((len(p.read_text().splitlines()), p.relative_to(ROOT).as_posix()) for p in files),
        reverse=True,
    )
    all_views = sorted(
        (
            (length, f"{p.relative_to(ROOT).as_posix()}:{name}")
            for p in files
            for length, name in views(p)
        ),
        reverse=True,
    )
    top = sorted(p.name for p in (ROOT / "portfolio").glob("*.py"))
    wrong = [line for app in FORBIDDEN for line in violations(app)]

    over = [m for m in modules if m[0] > MODULE_LIMIT]
    print(f"modules (outside migrations): {len(modules)}; over {MODULE_LIMIT} lines: {len(over)}")
    for lines, name in modules[: args.top]:
        print(f"  {lines:5d}  {name}")
    long_views = [v for v in all_views if v[0] > VIEW_LIMIT]
    mean = sum(v[0] for v in all_views) / len(all_views)
    print(
        f"views: {len(all_views)}, {mean:.1f} lines on average; "
        f"over {VIEW_LIMIT} lines: {len(long_views)}"
    )
    for lines, name in all_views[: args.top]:
        print(f"  {lines:5d}  {name}")
    print(f"portfolio/ top level: {len(top)} Python files (at most {PORTFOLIO_TOP_LIMIT})")
    print(f"  {' '.join(top)}")
    print(f"imports against the direction projects <- milestones <- portfolio: {len(wrong)}")
    for line in wrong:
        print(f"  {line}")


if __name__ == "__main__":
    main()

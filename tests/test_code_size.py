"""The size of the code: no module over 400 lines, no view in projects/ over 30, and no app
importing another's views.

A module past 400 lines holds more than one thing: split it by what it holds (as
projects/imports/ and projects/importers/ are). A view past 30 lines holds a rule: move reads to
a selector, writes to a service, query strings to a form. Both read the source files (ast for
the views), so a new module or view is checked without anyone listing it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400
MAX_VIEW_LINES = 30
# Not the app's code: tests (they grow with the cases they try), the virtualenv, migrations.
SKIPPED = {"tests", "migrations", "node_modules", "__pycache__", "var"}


def long_modules(root: Path = ROOT, limit: int = MAX_MODULE_LINES) -> dict[str, int]:
    """Every Python module of the code over limit lines (tests and migrations aside), by path."""
    found = {}
    tops = [d for d in root.iterdir() if d.is_dir() and d.name not in SKIPPED]
    paths = [*root.glob("*.py"), *(p for d in tops if d.name[0] != "." for p in d.rglob("*.py"))]
    for path in sorted(paths):
        parts = path.relative_to(root).parts[:-1]
        if any(part in SKIPPED or part.startswith(".") for part in parts):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found[path.relative_to(root).as_posix()] = lines
    return found


def long_views(
    root: Path = ROOT, limit: int = MAX_VIEW_LINES, apps: tuple[str, ...] = ("projects",)
) -> dict[str, int]:
    """Every view of the apps (a function or method whose first argument is the request) over
    limit lines from its def to its last line, as "module:name"."""
    found = {}
    for path in sorted(p for app in apps for p in (root / app).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            names = [a.arg for a in node.args.posonlyargs + node.args.args]
            if names[:1] == ["self"]:
                names = names[1:]
            lines = node.end_lineno - node.lineno + 1
            if names[:1] == ["request"] and lines > limit:
                found[f"{path.relative_to(root).as_posix()}:{node.name}"] = lines
    return found


def test_no_module_is_over_400_lines():
    over = long_modules()
    assert over == {}, f"modules over {MAX_MODULE_LINES} lines: {over}; split each by what it holds"


def test_no_view_in_projects_is_over_30_lines():
    assert long_views() == {}, (
        f"views over {MAX_VIEW_LINES} lines: {long_views()}; move reads to a selector, writes "
        "to a service and query strings to a form"
    )


def test_the_size_checks_find_a_long_module_and_a_long_view(tmp_path):
    app = tmp_path / "projects"
    (app / "migrations").mkdir(parents=True)
    (app / "migrations" / "0001_initial.py").write_text("x = 1\n" * 500)
    (app / "big.py").write_text("x = 1\n" * 401)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_long.py").write_text("x = 1\n" * 500)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "site.py").write_text("x = 1\n" * 500)
    body = "".join(f"    a{i} = {i}\n" for i in range(30))
    method = body.replace("    ", "        ")
    (app / "views.py").write_text(
        f"def long(request):\n{body}\n\nclass V:\n    def get(self, request):\n{method}"
        f"\n\ndef helper(rows):\n{body}\n\ndef short(request):\n    return 1\n"
    )
    assert long_modules(tmp_path) == {"projects/big.py": 401}
    assert long_views(tmp_path) == {"projects/views.py:long": 31, "projects/views.py:get": 31}


FIRST_PARTY = ("projects", "milestones", "portfolio", "outbox", "tracking")


def foreign_view_imports(root: Path = ROOT) -> list[str]:
    """Imports of another app's view modules (`projects.chart_views`, `from projects import
    views`): a page of one app reaches another's code through its selectors and figure
    functions, never its views."""
    found = []
    for app in FIRST_PARTY:
        for path in sorted((root / app).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    continue
                for name in names:
                    parts = name.split(".")
                    foreign = parts[0] in FIRST_PARTY and parts[0] != app
                    if foreign and any(part.endswith("views") for part in parts[1:]):
                        found.append(f"{path.relative_to(root).as_posix()}:{node.lineno} {name}")
    return found


def test_no_app_imports_the_views_of_another():
    assert foreign_view_imports() == [], "give the page a selector or a figure function instead"


def test_the_view_import_check_sees_each_spelling(tmp_path):
    (tmp_path / "portfolio").mkdir()
    (tmp_path / "portfolio" / "pages.py").write_text(
        "from projects.chart_views import chart_card\n"
        "from projects import compare_views\n"
        "import milestones.views\n"
        "from projects import chart_cards\n"
        "from . import views\n"
    )
    assert foreign_view_imports(tmp_path) == [
        "portfolio/pages.py:1 projects.chart_views.chart_card",
        "portfolio/pages.py:2 projects.compare_views",
        "portfolio/pages.py:3 milestones.views",
    ]

"""The shape of the code: which app may import which, and how much sits at portfolio's top.

Dependencies point one way: projects <- milestones <- portfolio. The core tells the other apps
things through signals and registered hooks (projects/signals.py, projects/access.py), never by
importing them. These tests read the source with ast, so an import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# app -> the first-party apps it must never import
FORBIDDEN = {
    "projects": {"milestones", "portfolio"},
    "milestones": {"portfolio"},
}
PORTFOLIO_TOP_LEVEL_MAX = 12


def imported_modules(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved."""
    package = path.relative_to(root).with_suffix("").parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module:
                found.append((node.lineno, module))
            else:  # `from ... import portfolio` climbed to the top: the names are the modules
                found += [(node.lineno, alias.name) for alias in node.names]
    return found


def violations(app: str, root: Path = ROOT) -> list[str]:
    wrong = []
    for path in sorted((root / app).rglob("*.py")):
        for line, module in sorted(imported_modules(path, root)):
            if module.split(".")[0] in FORBIDDEN[app]:
                wrong.append(f"{path.relative_to(root).as_posix()}:{line} imports {module}")
    return wrong


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_the_core_apps_never_import_the_apps_built_on_them(app):
    assert violations(app) == [], (
        f"{app} must not import {', '.join(sorted(FORBIDDEN[app]))}: announce through a signal "
        "(projects/signals.py) or a registered hook (projects/access.py) instead"
    )


def test_the_import_check_sees_relative_lazy_and_plain_imports(tmp_path):
    # The guard itself: each way of writing the import that must be refused is found.
    app = tmp_path / "projects"
    (app / "sub").mkdir(parents=True)
    (app / "sub" / "deep.py").write_text(
        "def later():\n    from portfolio.public.cache import invalidate\n"
        "import milestones.models\n"
        "from ... import portfolio\n"
    )
    assert violations("projects", tmp_path) == [
        "projects/sub/deep.py:2 imports portfolio.public.cache",
        "projects/sub/deep.py:3 imports milestones.models",
        "projects/sub/deep.py:4 imports portfolio",
    ]


def test_portfolio_keeps_at_most_twelve_python_files_at_its_top_level():
    top = sorted(p.name for p in (ROOT / "portfolio").glob("*.py"))
    assert len(top) <= PORTFOLIO_TOP_LEVEL_MAX, (
        f"portfolio/ has {len(top)} modules at its top ({', '.join(top)}): put a new one in the "
        "subpackage it belongs to (accounts, mentoring, public, api, demo, security)"
    )

"""The shape of the code: which app may import which, what the core's templates may name, and
how much sits at portfolio's top.

Dependencies point one way: projects <- milestones <- portfolio. The core tells the other apps
things through signals and registered hooks (projects/signals.py, projects/access.py), never by
importing them. These tests read the source with ast, so an import inside a function counts too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# app -> the first-party apps it must never import
FORBIDDEN = {
    "projects": {"milestones", "portfolio", "tracking", "mlsync"},
    "milestones": {"portfolio", "tracking", "mlsync"},
    # The people side reads runs logged live through projects (provenance, signals) only.
    "portfolio": {"tracking"},
    # Sync from MLflow writes through the core (projects) like imports do; nothing reads it back
    # but its own pages, and it never reaches into live logging.
    "mlsync": {"tracking", "milestones"},
}
PORTFOLIO_TOP_LEVEL_MAX = 12
# The core's templates name only the core's URLs; people-side pages come through context
# (projects/people.py). `{% url 'name' %}` without a namespace is a people-side page too.
CORE_TEMPLATES = ("projects", "milestones")
CORE_NAMESPACES = {"projects", "milestones"}
URL_TAG = re.compile(r"""{%\s*url\s+["']([^"']+)["']""")


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
        "subpackage it belongs to (accounts, mentoring, public, api, demo, security, server)"
    )


def template_violations(root: Path = ROOT) -> list[str]:
    wrong = []
    for folder in CORE_TEMPLATES:
        for path in sorted((root / "templates" / folder).rglob("*.html")):
            where = path.relative_to(root).as_posix()
            text = path.read_text()
            for name in URL_TAG.findall(text):
                if name.partition(":")[0] not in CORE_NAMESPACES or ":" not in name:
                    wrong.append(f"{where} names the URL {name}")
            if re.search(r"\.profile\b", text):
                wrong.append(f"{where} reads a profile")
    return wrong


def test_the_core_templates_reach_people_side_pages_only_through_their_context():
    assert template_violations() == [], (
        "projects and milestones templates get links to people-side pages and profile flags "
        "from their view's context (projects/people.py), not by naming them"
    )


def test_the_template_check_sees_a_people_side_url_and_a_profile(tmp_path):
    folder = tmp_path / "templates" / "milestones"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text(
        "{% url 'milestones:detail' 1 %}{% url \"mentoring:inbox\" %}{% url 'profile' %}"
        "{{ request.user.profile.slug }}"
    )
    assert template_violations(tmp_path) == [
        "templates/milestones/page.html names the URL mentoring:inbox",
        "templates/milestones/page.html names the URL profile",
        "templates/milestones/page.html reads a profile",
    ]

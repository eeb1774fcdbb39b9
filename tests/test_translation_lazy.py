"""A sentence translated when a module is imported stays in the language of that moment (German) for every reader:
module-level and class-level texts use gettext_lazy. This reads the application's modules (not the tests) and names
every eager gettext call that runs at import: module level, class bodies, and default argument values."""

import ast
from pathlib import Path

from django.conf import settings

EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}
PACKAGES = ("agreements", "notifications", "zielsteuerung")


def _eager_names(tree):
    return {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
            and node.module == "django.utils.translation" for alias in node.names if alias.name in EAGER}


def _calls_at_import(node, names, found, in_function=False):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
            _calls_at_import(default, names, found, in_function)
        for child in node.body if isinstance(node.body, list) else [node.body]:
            _calls_at_import(child, names, found, True)
        return
    if (not in_function and isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in names):
        found.append(node)
    for child in ast.iter_child_nodes(node):
        _calls_at_import(child, names, found, in_function)


def eager_translations(root):
    problems = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _eager_names(tree)
        found = []
        for node in tree.body if names else ():
            _calls_at_import(node, names, found)
        problems += [f"{path.relative_to(root.parent)}:{node.lineno}: {ast.unparse(node)[:80]}" for node in found]
    return problems


def test_no_sentence_is_translated_when_its_module_is_imported():
    base = Path(settings.BASE_DIR)
    problems = [problem for package in PACKAGES for problem in eager_translations(base / package)]
    assert not problems, "translated at import (use gettext_lazy):\n" + "\n".join(problems)


def test_the_check_finds_an_eager_translation(tmp_path):
    package = tmp_path / "sample"
    package.mkdir()
    (package / "views.py").write_text(
        "from django.utils.translation import gettext as _\n"
        "DONE = _('Erledigt.')\n"
        "class Form:\n    label = _('Titel')\n"
        "def view(request, note=_('Anmerkung')):\n    return _('fine at request time')\n",
        encoding="utf-8")
    assert [line.split(": ", 1)[1] for line in eager_translations(package)] == [
        "_('Erledigt.')", "_('Titel')", "_('Anmerkung')"]

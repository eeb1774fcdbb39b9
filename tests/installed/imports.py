"""Which modules does the application's code import, and are they installed in this Python?

Run it with the Python of an environment to check (the runtime-only venv `make run` installs):

    <venv>/bin/python -I tests/installed/imports.py <repo> agreements zielsteuerung

It prints one JSON object:
- "imports": every top-level module imported anywhere in the given packages, with where ("file:line"): `import x`,
  `from x import y`, at module level and inside functions, classes, try blocks and conditionals. Relative imports
  and the standard library are left out.
- "missing": those of them that `importlib.util.find_spec` cannot find here.
- "broken": modules of the packages that fail to import here (after django.setup()), and dotted paths named in
  the settings (middleware, backends, storages, ...) that fail to load, with the error. A missing module that
  Django itself imports for the app (psycopg2 for PostgreSQL, an app in INSTALLED_APPS) shows up here.

Standard library only (ast, importlib): it must run in an environment that has nothing but the runtime
dependencies. `-I` keeps the script's directory and PYTHON* variables out of sys.path.
"""

import ast
import importlib
import importlib.util
import json
import os
import pkgutil
import sys
import traceback
from pathlib import Path


def python_files(root, packages):
    for package in packages:
        yield from sorted((Path(root) / package).rglob("*.py"))


def imports_in(path, root):
    """(top-level module name, "file:line") for every absolute import in one file."""
    tree = ast.parse(Path(path).read_bytes(), filename=str(path))
    where = Path(path).relative_to(root).as_posix()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], f"{where}:{node.lineno}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0], f"{where}:{node.lineno}"


def imported_modules(root, packages):
    """{top-level module: [locations]} of the third-party and own modules the packages import."""
    found = {}
    for path in python_files(root, packages):
        for name, where in imports_in(path, root):
            if name in sys.stdlib_module_names or name == "__future__":
                continue
            found.setdefault(name, []).append(where)
    return dict(sorted(found.items()))


def missing_modules(imported):
    return {name: where for name, where in imported.items() if importlib.util.find_spec(name) is None}


def _error():
    return traceback.format_exc(limit=-3).strip()


def settings_paths(settings):
    """The dotted paths Django loads from the settings at run time (besides INSTALLED_APPS, which setup loads)."""
    paths = list(settings.MIDDLEWARE) + list(settings.AUTHENTICATION_BACKENDS) + list(settings.PASSWORD_HASHERS)
    for template in settings.TEMPLATES:
        paths.append(template["BACKEND"])
        paths.extend(template.get("OPTIONS", {}).get("context_processors", []))
    paths.extend(storage["BACKEND"] for storage in settings.STORAGES.values())
    paths.extend(handler["class"] for handler in settings.LOGGING.get("handlers", {}).values() if "class" in handler)
    for name in ("WSGI_APPLICATION", "ROOT_URLCONF"):
        if getattr(settings, name, None):
            paths.append(getattr(settings, name))
    return paths


def _load(path, import_string):
    try:
        return import_string(path)  # a class or function: "package.module.Name"
    except ImportError:
        return importlib.import_module(path)  # a module: ROOT_URLCONF


def broken_modules(packages):
    """Imports every module of the packages and everything the settings name; {what: error} of the failures."""
    broken = {}
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.utils.module_loading import import_string
    except Exception:
        return {"django.setup()": _error()}
    for package in packages:
        module = importlib.import_module(package)
        names = [package] + [info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}.")]
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:
                broken[name] = _error()
    for path in settings_paths(settings):
        try:
            _load(path, import_string)
        except Exception:
            broken[path] = _error()
    # Both database backends `DATABASE_URL` accepts (sqlite:///, postgresql://), whichever is configured here.
    for engine in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        try:
            importlib.import_module(f"{engine}.base")
        except Exception:
            broken[engine] = _error()
    return broken


def main(argv):
    root, packages = Path(argv[1]).resolve(), argv[2:]
    imported = imported_modules(root, packages)
    report = {"python": sys.executable, "imports": imported, "missing": missing_modules(imported)}
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        report["broken"] = broken_modules(packages)
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv)

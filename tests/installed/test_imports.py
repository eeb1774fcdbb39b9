"""E.14: the runtime dependencies alone (what `make run` installs) cover every module the app's code imports,
at module level and inside functions, and everything Django loads for it from the settings."""

import json
import subprocess

import pytest

from . import runtime

SCANNER = runtime.REPO / "tests" / "installed" / "imports.py"
PACKAGES = ("agreements", "notifications", "zielsteuerung")
# Dev-only packages (pyproject's [dev] extra): if one of them were importable, the venv would not be the
# runtime-only install and the check below would prove nothing.
DEV_ONLY = ("pytest", "pytest_django", "factory", "hypothesis", "playwright", "ruff")


def scan(venv, root, packages, tmp_path, settings=True):
    env = runtime.clean_env(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'scan.sqlite3'}",
                            MEDIA_ROOT=str(tmp_path / "media"))
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = "zielsteuerung.settings"
    result = subprocess.run([str(venv / "bin" / "python"), "-I", str(SCANNER), str(root), *packages],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_is_a_runtime_only_venv(runtime_venv, tmp_path):
    python = runtime_venv / "bin" / "python"
    code = "import importlib.util, sys; print([n for n in sys.argv[1:] if importlib.util.find_spec(n)])"
    found = subprocess.run([str(python), "-I", "-c", code, *DEV_ONLY], cwd=tmp_path, env=runtime.clean_env(),
                           capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]", f"dev dependencies in the runtime venv {runtime_venv}: {found}"


def test_it_has_every_module_the_app_imports(runtime_venv, tmp_path):
    report = scan(runtime_venv, runtime.REPO, PACKAGES, tmp_path)
    assert report["python"].startswith(str(runtime_venv))
    # The scan saw the app's code (these are imported inside functions, pypdf by the search index).
    assert {"django", "weasyprint", "pikepdf", "pypdf", "openpyxl"} <= set(report["imports"])
    assert report["missing"] == {}, "imported by the app, not installed by `make run`:\n" + json.dumps(
        report["missing"], indent=1)
    assert report["broken"] == {}, "fail to import in the runtime venv:\n" + "\n\n".join(
        f"{name}:\n{error}" for name, error in report["broken"].items())


def test_it_would_name_a_dev_only_import(runtime_venv, tmp_path):
    """The class of bug this guards against: pypdf was a dev dependency imported inside a function at run time.
    pytest is such a package today (installed for `make test`, not for `make run`)."""
    app = tmp_path / "src" / "app"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "search.py").write_text("import django\n\n\ndef extract_text(document):\n    from pytest import approx\n"
                                   "    return approx\n")
    report = scan(runtime_venv, tmp_path / "src", ["app"], tmp_path, settings=False)
    assert report["missing"] == {"pytest": ["app/search.py:5"]}


@pytest.mark.parametrize("name", ["agreements", "zielsteuerung"])
def test_it_installs_the_app_itself(runtime_venv, tmp_path, name):
    python = runtime_venv / "bin" / "python"
    code = f"import importlib.util; print(importlib.util.find_spec({name!r}).origin)"
    origin = subprocess.run([str(python), "-I", "-c", code], cwd=tmp_path, env=runtime.clean_env(),
                            capture_output=True, text=True, check=True).stdout.strip()
    assert origin == str(runtime.REPO / name / "__init__.py")

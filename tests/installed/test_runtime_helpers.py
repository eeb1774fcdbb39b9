"""The helpers the installed-application tests rely on: the import scanner and the server log reader. They must
find what they are there to find, or the tests built on them prove nothing."""

import os
import textwrap

import pytest

from . import imports, runtime


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_it_finds_imports_at_every_depth(tmp_path):
    write(tmp_path / "app" / "__init__.py", "")
    write(tmp_path / "app" / "top.py", """
        import json
        import os.path
        from collections import abc
        from . import sibling
        from .sibling import thing
        import zs_top_level_missing
        from zs_from_missing.sub import name
    """)
    write(tmp_path / "app" / "inner" / "deep.py", """
        def render():
            from zs_function_missing import PdfReader
            return PdfReader

        class Exporter:
            import zs_class_missing

        try:
            import zs_guarded_missing
        except ImportError:
            zs_guarded_missing = None

        if False:
            import zs_conditional_missing
    """)
    found = imports.imported_modules(tmp_path, ["app"])
    assert found == {
        "zs_class_missing": ["app/inner/deep.py:7"],
        "zs_conditional_missing": ["app/inner/deep.py:15"],
        "zs_from_missing": ["app/top.py:8"],
        "zs_function_missing": ["app/inner/deep.py:3"],
        "zs_guarded_missing": ["app/inner/deep.py:10"],
        "zs_top_level_missing": ["app/top.py:7"],
    }
    assert imports.missing_modules(found) == found


def test_it_reports_only_what_this_python_cannot_find(tmp_path):
    write(tmp_path / "app" / "views.py", """
        import django
        def download():
            from zs_not_installed_anywhere import x
    """)
    found = imports.imported_modules(tmp_path, ["app"])
    assert set(found) == {"django", "zs_not_installed_anywhere"}
    assert imports.missing_modules(found) == {"zs_not_installed_anywhere": ["app/views.py:4"]}


LOG = """\
Performing system checks...
[04/Dec/2026 16:50:00] "GET /anmelden/ HTTP/1.1" 200 5678
[04/Dec/2026 16:50:01] "POST /anmelden/ HTTP/1.1" 302 0
Internal Server Error: /vorlagen/7/anlagen/neu/
Traceback (most recent call last):
  File "/x/django/core/handlers/exception.py", line 55, in inner
    response = get_response(request)
  File "/x/agreements/search.py", line 66, in extract_text
    from pypdf import PdfReader
ModuleNotFoundError: No module named 'pypdf'
[04/Dec/2026 16:50:02] "POST /vorlagen/7/anlagen/neu/ HTTP/1.1" 500 145
[04/Dec/2026 16:50:03] "GET /static/app.css HTTP/1.1" 304 0
[04/Dec/2026 16:50:04] "GET /vorlagen/7/pdf/?x=%22a%22 HTTP/1.1" 503 12
"""


def test_it_reads_every_request_and_status_of_the_server_log():
    assert runtime.requests_in(LOG) == [
        ("GET", "/anmelden/", 200), ("POST", "/anmelden/", 302), ("POST", "/vorlagen/7/anlagen/neu/", 500),
        ("GET", "/static/app.css", 304), ("GET", "/vorlagen/7/pdf/?x=%22a%22", 503),
    ]


def test_it_names_the_server_errors_with_their_tracebacks():
    failed, tracebacks = runtime.server_errors(LOG)
    assert failed == ["POST /vorlagen/7/anlagen/neu/ -> 500", "GET /vorlagen/7/pdf/?x=%22a%22 -> 503"]
    assert len(tracebacks) == 1
    assert tracebacks[0].startswith("Internal Server Error: /vorlagen/7/anlagen/neu/\nTraceback")
    assert tracebacks[0].endswith("ModuleNotFoundError: No module named 'pypdf'")


def test_it_finds_no_error_in_a_clean_log():
    clean = "\n".join(line for line in LOG.splitlines() if '" 5' not in line and not line.startswith(
        ("Internal", "Traceback", "  ", "ModuleNotFound")))
    assert runtime.server_errors(clean) == ([], [])
    assert len(runtime.requests_in(clean)) == 3


def test_it_starts_the_server_on_a_fresh_sqlite_file_as_make_run_does(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/other.sqlite3")
    with runtime.server_database(tmp_path) as url:
        assert url == f"sqlite:///{tmp_path}/db.sqlite3"
        assert url.startswith("sqlite:////")  # absolute: the server runs in the repository


@pytest.mark.postgres
def test_it_gives_the_server_a_fresh_postgresql_database_and_drops_it(tmp_path):
    outer = os.environ.get("DATABASE_URL", "")
    if not outer.startswith(("postgres://", "postgresql://")):
        pytest.skip("the suite runs on SQLite (DATABASE_URL is not postgresql://)")
    import psycopg2

    def databases():
        connection = psycopg2.connect(outer.rsplit("/", 1)[0] + "/postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT datname FROM pg_database")
                return {row[0] for row in cursor.fetchall()}
        finally:
            connection.close()

    with runtime.server_database(tmp_path) as url:
        name = url.rsplit("/", 1)[1]
        assert url.startswith(outer.rsplit("/", 1)[0] + "/zs_installed_")
        assert name in databases()
        connection = psycopg2.connect(url)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert cursor.fetchone() == (0,)  # fresh
        connection.close()
    assert name not in databases()

"""python manage.py export_vorlage: the Vorlage or its Gesamtdokument as a file, with page count and SHA-256."""

import hashlib
import io
import re

import pikepdf
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction
from django.test import override_settings

from agreements import models as m
from agreements.management.commands.export_vorlage import Command as ExportCommand

from . import factories as f
from .builders_files import assert_contains, encrypted, page_texts, plain_pdf
from .builders_reference_vorlage import ANLAGEN, REFERENCE, build_reference_vorlage, demo_available, load_demo_vorlage


def export(*args):
    stdout = io.StringIO()
    call_command("export_vorlage", *[str(arg) for arg in args], stdout=stdout)
    return stdout.getvalue()


def assert_reported(output, path):
    """The command names the file, its page count and its SHA-256, and all three are true."""
    content = path.read_bytes()
    reported_path = re.search(r"^Datei: (.+)$", output, re.M).group(1)
    pages = int(re.search(r"^Seiten: (\d+)$", output, re.M).group(1))
    sha256 = re.search(r"^SHA-256: ([0-9a-f]{64})$", output, re.M).group(1)
    assert reported_path == str(path.resolve())
    assert pages == len(pikepdf.open(io.BytesIO(content)).pages)
    assert sha256 == hashlib.sha256(content).hexdigest()
    return content, pages


@pytest.fixture(scope="module")
def demo_exports(django_db_setup, django_db_blocker, tmp_path_factory):
    if not demo_available():
        pytest.skip("load_demo is not available yet (agreements/management/commands/load_demo.py)")
    media, out = tmp_path_factory.mktemp("media"), tmp_path_factory.mktemp("export")
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo_vorlage(media)
        with override_settings(MEDIA_ROOT=media):
            plain = export(REFERENCE, "-o", out / "vorlage.pdf")
            bundle = export(REFERENCE, "-o", out / "gesamt.pdf", "--bundle")
        transaction.set_rollback(True)
    return {"plain": (plain, out / "vorlage.pdf"), "bundle": (bundle, out / "gesamt.pdf")}


def test_it_exports_the_demo_vorlage(demo_exports):
    output, path = demo_exports["plain"]
    content, pages = assert_reported(output, path)
    texts = page_texts(content)
    assert_contains(texts[0], "Vorlagen Nr. 50/015/2012")
    assert_contains(texts[-1], f"Seite {pages} von {pages}")


def test_it_exports_the_demo_bundle(demo_exports):
    output, path = demo_exports["bundle"]
    content, pages = assert_reported(output, path)
    texts = page_texts(content)
    for number, title in enumerate(ANLAGEN, start=1):
        assert_contains(texts[0], f"Anlage {number}: {title}")
    assert_contains(texts[1], "Vorlagen Nr. 50/015/2012")
    assert_contains(texts[-1], f"Seite {pages} von {pages}")


def test_it_exports_a_vorlage_and_its_bundle(db, tmp_path):
    build_reference_vorlage(anlage_files=[plain_pdf(2), None, plain_pdf(1)], sections=[("I. Kurz", "Text")])
    vorlage_pages = assert_reported(export(REFERENCE, "-o", tmp_path / "v.pdf"), tmp_path / "v.pdf")[1]
    bundle_pages = assert_reported(
        export(REFERENCE, "--output", tmp_path / "sub" / "b.pdf", "--bundle"), tmp_path / "sub" / "b.pdf"
    )[1]
    assert bundle_pages == 1 + vorlage_pages + 2 + 1


def test_it_names_the_file_after_the_reference_by_default(db, tmp_path, monkeypatch):
    build_reference_vorlage(sections=[("I. Kurz", "Text")])
    monkeypatch.chdir(tmp_path)
    assert_reported(export(REFERENCE), tmp_path / "Vorlage-50-015-2012.pdf")
    assert_reported(export(REFERENCE, "--bundle"), tmp_path / "Vorlage-50-015-2012-mit-Anlagen.pdf")


def test_it_refuses_an_unknown_number(db, tmp_path):
    with pytest.raises(CommandError, match="^Es gibt keine Vorlage mit der Nummer „99/999/2099“.$"):
        export("99/999/2099", "-o", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_it_names_a_broken_anlage(db, tmp_path):
    build_reference_vorlage(anlage_files=[plain_pdf(1), None, encrypted(plain_pdf(1))], sections=[("I.", "x")])
    with pytest.raises(CommandError) as caught:
        export(REFERENCE, "-o", tmp_path / "b.pdf", "--bundle")
    assert str(caught.value) == (
        f"Das Gesamtdokument der Vorlage 50/015/2012 wurde nicht erstellt: Anlage 3 „{ANLAGEN[2]}“ ist "
        "verschlüsselt."
    )
    assert not (tmp_path / "b.pdf").exists()


def test_it_exits_with_1_and_a_message_not_a_traceback(db, tmp_path, monkeypatch):
    # run_from_argv closes the connections when it ends; the test's transaction must survive that.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    build_reference_vorlage(anlage_files=[b"PK\x03\x04 kein PDF"], sections=[("I.", "x")])
    for argv, message in (
        (["99/999/2099"], "CommandError: Es gibt keine Vorlage mit der Nummer „99/999/2099“."),
        ([REFERENCE, "--bundle"], f"Anlage 1 „{ANLAGEN[0]}“ ist keine PDF-Datei."),
    ):
        stdout, stderr = io.StringIO(), io.StringIO()
        command = ExportCommand(stdout=stdout, stderr=stderr)
        with pytest.raises(SystemExit) as exit_:
            command.run_from_argv(["manage.py", "export_vorlage", *argv, "-o", str(tmp_path / "x.pdf")])
        assert exit_.value.code == 1
        assert message in stderr.getvalue()
        assert "Traceback" not in stderr.getvalue()


def test_it_exports_a_released_vorlage_as_stored(db, tmp_path):
    stored = plain_pdf(1)
    vorlage = build_reference_vorlage(anlage_files=[plain_pdf(2)], sections=[("I.", "x")])
    document = f.DocumentFactory(title="Vorlage 50/015/2012", kind=m.Document.Kind.VORLAGE, content=stored)
    m.Vorlage.objects.filter(pk=vorlage.pk).update(main_file=document, status=m.Vorlage.Status.RELEASED)
    content, _pages = assert_reported(export(REFERENCE, "-o", tmp_path / "v.pdf"), tmp_path / "v.pdf")
    assert content == stored  # the released PDF, byte for byte: never rendered again
    bundle_pages = assert_reported(export(REFERENCE, "-o", tmp_path / "b.pdf", "--bundle"), tmp_path / "b.pdf")[1]
    assert bundle_pages == 1 + 1 + 2


@pytest.mark.django_db
def test_it_asks_which_stelle_when_two_use_the_same_number(tmp_path):
    from agreements import models as m
    from tests.factories import DepartmentFactory, PartyFactory, VorlageFactory

    for key in ("kreis-a", "kreis-b"):
        department = DepartmentFactory(party=PartyFactory(key=key), number="50")
        VorlageFactory(department=department, running_number=7, year=2013)
    assert m.Vorlage.objects.filter(reference="50/007/2013").count() == 2
    with pytest.raises(CommandError, match="--stelle"):
        call_command("export_vorlage", "50/007/2013", "-o", str(tmp_path / "x.pdf"))
    call_command("export_vorlage", "50/007/2013", "--stelle", "kreis-b", "-o", str(tmp_path / "b.pdf"))
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")

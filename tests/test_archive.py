"""export_agreement / import_agreement: the archive restores an agreement with everything that belongs to it."""

import copy
import hashlib
import io
import json
import re
import stat
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pikepdf
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from agreements import models as m
from agreements.data.demo import TITLE_2012, VORLAGE_REFERENCE
from agreements.services.versions import agreement_snapshot
from agreements.transfer import archive

SUFFIX = archive.COPY_SUFFIX


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("load_demo", force=True, verbosity=0)
    return m.Agreement.objects.get(title=TITLE_2012, year=2012)


def export(agreement, path):
    call_command("export_agreement", str(agreement.pk), "-o", str(path), verbosity=0)
    return path


def import_(path, *args):
    out = io.StringIO()
    call_command("import_agreement", str(path), *args, stdout=out)
    return out.getvalue()


def archive_data(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read(archive.AGREEMENT_JSON))


def normalised(data, *, vorlage_reference=None):
    """agreement.json without what a copy changes on purpose: the title suffix and, in the same database, the
    Vorlage's number and the agenda item that stays with the original's consultation."""
    data = copy.deepcopy(data)
    if data["agreement"]["title"].endswith(SUFFIX):
        data["agreement"]["title"] = data["agreement"]["title"][: -len(SUFFIX)]
    for vorlage in data["vorlagen"]:
        vorlage.pop("reference")
        vorlage.pop("running_number")
        for consultation in vorlage["consultations"]:
            consultation.pop("agenda_items")
    return data


def the_copy(original):
    return m.Agreement.objects.get(title=original.title + SUFFIX, year=original.year)


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("agreements").get_models()
    } | {"users": get_user_model().objects.count()}


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rewrite(source, target, *, data=None, member=None, content=None, rehash=True):
    """A copy of the archive with agreement.json replaced by `data` or one member replaced by `content`;
    with rehash the manifest is made to match again (a well-formed archive with other content)."""
    with zipfile.ZipFile(source) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    if data is not None:
        members[archive.AGREEMENT_JSON] = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    if member is not None:
        members[member] = content
    if rehash:
        manifest = json.loads(members[archive.MANIFEST])
        for entry in manifest["files"]:
            entry["size"] = len(members[entry["path"]])
            entry["sha256"] = hashlib.sha256(members[entry["path"]]).hexdigest()
        manifest["agreement_sha256"] = hashlib.sha256(members[archive.AGREEMENT_JSON]).hexdigest()
        members[archive.MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, value in members.items():
            zf.writestr(name, value)
    return target


def flush_database():
    """An empty database inside the test's transaction. PostgreSQL refuses TRUNCATE while deferred foreign key
    checks of the loaded rows are pending: they are run first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)


def document_bytes(document):
    with document.file.open("rb") as handle:
        return handle.read()


# Export ----------------------------------------------------------------------------------------------------------


def test_it_writes_manifest_agreement_and_files(demo, tmp_path):
    path = export(demo, tmp_path / "a.zip")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read(archive.MANIFEST))
        payload = zf.read(archive.AGREEMENT_JSON)
        assert {info.date_time for info in zf.infolist()} == {archive.ZIP_TIMESTAMP}
        documents = m.Document.objects.filter(agreement=demo)
        assert documents.count() == 5
        for document in documents:
            assert zf.read(f"files/{document.sha256}") == document_bytes(document)

    assert manifest["format"] == archive.FORMAT_NAME
    assert manifest["format_version"] == archive.FORMAT_VERSION
    assert manifest["agreement"]["id"] == demo.pk
    assert manifest["created_at"] and manifest["source"]["system"] == "zielsteuerung"
    assert manifest["agreement_sha256"] == hashlib.sha256(payload).hexdigest()
    assert sorted(names) == sorted([archive.MANIFEST, *(entry["path"] for entry in manifest["files"])])
    for entry in manifest["files"]:
        with zipfile.ZipFile(path) as zf:
            content = zf.read(entry["path"])
        assert (len(content), hashlib.sha256(content).hexdigest()) == (entry["size"], entry["sha256"])

    data = json.loads(payload)
    assert data["agreement"]["status"] == m.Agreement.Status.IN_EFFECT
    assert [p["party"] for p in data["agreement"]["parties"]] == ["mais-nrw", "kreis-mettmann"]
    assert data["agreement"]["predecessor"]["year"] == 2011
    assert [v["number"] for v in data["versions"]] == [1, 2, 3, 4]
    assert [s["person"] for s in data["signatures"]] == ["person-2", "person-3"]
    assert data["vorlagen"][0]["reference"] == VORLAGE_REFERENCE
    assert data["agreement"]["signed_file"] in {d["ref"] for d in data["documents"]}
    # No database id of the source: goals, sections and offers in snapshots are archive references.
    snapshot = data["versions"][3]["snapshot"]
    assert {g["id"] for g in snapshot["goals"]} == {g["ref"] for g in data["goals"]}
    assert {p["party_id"] for p in snapshot["parties"]} == {"mais-nrw", "kreis-mettmann"}


def test_it_exports_deterministically(demo, tmp_path):
    first = export(demo, tmp_path / "a.zip")
    second = export(demo, tmp_path / "b.zip")
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.read(archive.AGREEMENT_JSON) == b.read(archive.AGREEMENT_JSON)
        assert a.namelist() == b.namelist()
        assert [i.date_time for i in a.infolist()] == [i.date_time for i in b.infolist()]
    assert archive.agreement_json(demo) == archive.agreement_json(demo)


def test_it_refuses_an_unknown_agreement(db, tmp_path):
    with pytest.raises(CommandError, match="keine Zielvereinbarung mit der Nummer 999"):
        call_command("export_agreement", "999", "-o", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


def test_it_refuses_to_export_a_file_that_no_longer_matches_its_checksum(demo, tmp_path):
    document = m.Document.objects.filter(agreement=demo).first()
    with open(document.file.path, "r+b") as handle:
        handle.write(b"X")
    with pytest.raises(CommandError, match="stimmt nicht mit ihrer Prüfsumme"):
        export(demo, tmp_path / "a.zip")
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".*tmp")) == []


# Round trip in the same database -------------------------------------------------------------------------------


def test_it_round_trips_as_a_copy(demo, tmp_path):
    original_path = export(demo, tmp_path / "a.zip")
    output = import_(original_path, "--as-copy")
    copied = the_copy(demo)
    assert "50/016/2012" in output  # the Vorlage's number is taken: the copy gets the next free one

    copy_path = export(copied, tmp_path / "b.zip")
    assert normalised(archive_data(copy_path)) == normalised(archive_data(original_path))

    assert copied.status == demo.status == m.Agreement.Status.IN_EFFECT
    assert copied.predecessor == demo.predecessor
    assert list(copied.related.all()) == list(demo.related.all())

    # Every document's bytes, stored under a new generated name.
    originals = {d.title: d for d in m.Document.objects.filter(agreement=demo)}
    copies = {d.title: d for d in m.Document.objects.filter(agreement=copied)}
    assert originals.keys() == copies.keys()
    for title, document in copies.items():
        assert document.sha256 == originals[title].sha256
        assert document.file.name != originals[title].file.name
        assert document_bytes(document) == document_bytes(originals[title])
        assert hashlib.sha256(document_bytes(document)).hexdigest() == document.sha256
        assert document.created == originals[title].created
    assert copied.signed_file.sha256 == demo.signed_file.sha256 and copied.signed_file != demo.signed_file

    def signatures(agreement):
        return list(agreement.signatures.order_by("date").values_list(
            "party__key", "person__family_name", "signatory_name", "signatory_function", "date", "place"))

    assert signatures(copied) == signatures(demo)

    def steps(agreement):
        return list(agreement.steps.values_list(
            "title", "date", "date_precision", "kind", "version__number", "letter__subject", "description"))

    assert steps(copied) == steps(demo)

    def proposals(agreement):
        return list(agreement.proposals.values_list(
            "concerns", "decision", "reason", "goal__title", "answer_letter__subject", "decided_at", "party__key"))

    assert proposals(copied) == proposals(demo)
    assert copied.statements.count() == demo.statements.count() == 2
    assert copied.letters.count() == demo.letters.count() == 3

    def versions(agreement):
        return list(agreement.versions.values_list("number", "kind", "author_party__key", "sent_at", "note"))

    assert versions(copied) == versions(demo)
    # Snapshots are the original's, with the copy's own row ids: a redline against the current text works.
    for original, imported in zip(demo.versions.order_by("number"), copied.versions.order_by("number"), strict=True):
        assert translate_ids(original.snapshot, demo, copied) == imported.snapshot
    final = copied.versions.get(number=4).snapshot
    assert {**final, "title": copied.title} == agreement_snapshot(copied)

    vorlage = m.Vorlage.objects.get(reference=VORLAGE_REFERENCE)
    copied_vorlage = copied.vorlagen.get()
    assert copied_vorlage.reference == "50/016/2012"
    for name in archive.FIELDS["vorlage"]:
        if name not in ("reference", "running_number"):
            assert getattr(copied_vorlage, name) == getattr(vorlage, name), name
    assert (copied_vorlage.department, copied_vorlage.author) == (vorlage.department, vorlage.author)
    assert list(copied_vorlage.sections.values_list("order", "heading", "text")) == list(
        vorlage.sections.values_list("order", "heading", "text"))
    assert list(copied_vorlage.consultations.values_list("committee", "meeting", "role", "result")) == list(
        vorlage.consultations.values_list("committee", "meeting", "role", "result"))
    assert list(copied_vorlage.anlagen.values_list("order", "title", "document__sha256")) == list(
        vorlage.anlagen.values_list("order", "title", "document__sha256"))
    # Context rows are found, not duplicated.
    assert m.Person.objects.filter(family_name="Hendele").count() == 1
    assert m.Meeting.objects.count() == 1


def translate_ids(snapshot, source, target):
    """The snapshot with the ids of `source`'s rows replaced by those of the matching rows of `target`."""
    snapshot = copy.deepcopy(snapshot)
    for kind, manager, ordering in (
        ("sections", "sections", ("order", "id")), ("goals", "goals", ("order", "id")),
        ("offers", "offers", ("topic__number", "order", "id")),
    ):
        old = list(getattr(source, manager).order_by(*ordering).values_list("pk", flat=True))
        new = list(getattr(target, manager).order_by(*ordering).values_list("pk", flat=True))
        mapping = dict(zip(old, new, strict=True))
        for item in snapshot.get(kind, []):
            if item.get("id") is not None:
                item["id"] = mapping[item["id"]]
    return snapshot


def test_it_refuses_a_second_import_without_as_copy(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    before, files = row_counts(), stored_files(settings)
    with pytest.raises(CommandError, match="bereits gespeichert.*--as-copy"):
        import_(path)
    assert row_counts() == before
    assert stored_files(settings) == files


def test_it_numbers_further_copies(demo, tmp_path):
    path = export(demo, tmp_path / "a.zip")
    import_(path, "--as-copy")
    import_(path, "--as-copy")
    titles = set(m.Agreement.objects.filter(year=2012).values_list("title", flat=True))
    assert {demo.title + SUFFIX, demo.title + " (Import 2)"} <= titles
    assert set(m.Vorlage.objects.values_list("reference", flat=True)) == {
        VORLAGE_REFERENCE, "50/016/2012", "50/017/2012"}


def test_it_round_trips_an_agreement_with_reviews(demo, tmp_path):
    agreement_2011 = demo.predecessor
    path = export(agreement_2011, tmp_path / "a.zip")
    import_(path, "--as-copy")
    copied = the_copy(agreement_2011)
    assert normalised(archive_data(export(copied, tmp_path / "b.zip"))) == normalised(archive_data(path))
    review = copied.reviews.get()
    assert review.minutes == agreement_2011.reviews.get().minutes
    assessment = review.assessments.get()
    assert (assessment.goal.agreement, assessment.goal.title, assessment.status) == (
        copied, agreement_2011.goals.get().title, m.Assessment.Status.ACHIEVED)
    assert copied.status == m.Agreement.Status.CLOSED


# Dry run and refusals ------------------------------------------------------------------------------------------


def test_it_writes_nothing_in_a_dry_run(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    before, files = row_counts(), stored_files(settings)
    output = import_(path, "--as-copy", "--dry-run")
    assert "Probelauf" in output and "nichts gespeichert" in output
    assert row_counts() == before
    assert stored_files(settings) == files


@pytest.mark.parametrize("what", ["file", "agreement"])
def test_it_refuses_a_tampered_archive(demo, tmp_path, settings, what):
    path = export(demo, tmp_path / "a.zip")
    if what == "file":
        member = f"files/{demo.signed_file.sha256}"
        with zipfile.ZipFile(path) as zf:
            content = bytearray(zf.read(member))
    else:
        member = archive.AGREEMENT_JSON
        with zipfile.ZipFile(path) as zf:
            content = bytearray(zf.read(member))
    content[len(content) // 2] ^= 0x01
    tampered = rewrite(path, tmp_path / "t.zip", member=member, content=bytes(content), rehash=False)
    before, files = row_counts(), stored_files(settings)
    with pytest.raises(CommandError, match=f"„{member}“.*nichts gespeichert"):
        import_(tampered, "--as-copy")
    assert row_counts() == before
    assert stored_files(settings) == files


def test_it_refuses_a_damaged_zip_member(demo, tmp_path, settings):
    """A byte flipped in the ZIP itself (the compressed data): the member's CRC or stream is broken."""
    path = export(demo, tmp_path / "a.zip")
    member = f"files/{demo.signed_file.sha256}"
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    name_length = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little")
    extra_length = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    raw[start + info.compress_size // 2] ^= 0xFF
    damaged = tmp_path / "d.zip"
    damaged.write_bytes(bytes(raw))
    before, files = row_counts(), stored_files(settings)
    with pytest.raises(CommandError, match=f"„{member}“"):
        import_(damaged, "--as-copy")
    assert row_counts() == before
    assert stored_files(settings) == files


def test_it_refuses_a_member_that_is_not_in_the_manifest(demo, tmp_path):
    path = export(demo, tmp_path / "a.zip")
    extra = rewrite(path, tmp_path / "x.zip", member="files/extra", content=b"x", rehash=False)
    with pytest.raises(CommandError, match="nicht im Manifest.*files/extra"):
        import_(extra, "--as-copy")


def test_it_refuses_a_file_that_is_not_a_zip(db, tmp_path):
    path = tmp_path / "kein.zip"
    path.write_bytes(b"no zip")
    with pytest.raises(CommandError, match="kein lesbares ZIP-Archiv"):
        import_(path)
    with pytest.raises(CommandError, match="gibt es nicht"):
        import_(tmp_path / "fehlt.zip")


def test_it_refuses_unknown_party_keys_and_lists_them(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    for statement in data["statements"]:
        if statement["party"] == "liga-nrw":
            statement["party"] = "liga-unbekannt"
    data["procedure_steps"][0]["participants"].append("gibt-es-nicht")
    changed = rewrite(path, tmp_path / "p.zip", data=data)
    before, files = row_counts(), stored_files(settings)
    with pytest.raises(CommandError, match="Unbekannte Stellen \\(Schlüssel\\): gibt-es-nicht, liga-unbekannt"):
        import_(changed, "--as-copy")
    assert row_counts() == before
    assert stored_files(settings) == files


def test_it_refuses_a_bad_value_with_nothing_written(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    data["proposals"][-1]["decision"] = "vielleicht"
    changed = rewrite(path, tmp_path / "v.zip", data=data)
    before, files = row_counts(), stored_files(settings)
    with pytest.raises(CommandError, match="Unbekannter Wert „vielleicht“"):
        import_(changed, "--as-copy")
    assert row_counts() == before
    # The documents were stored before the bad proposal was reached; they are removed again.
    assert stored_files(settings) == files


def test_it_refuses_an_archive_of_a_newer_format(demo, tmp_path):
    path = export(demo, tmp_path / "a.zip")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read(archive.MANIFEST))
    manifest["format_version"] = archive.FORMAT_VERSION + 1
    newer = rewrite(path, tmp_path / "n.zip", member=archive.MANIFEST, content=json.dumps(manifest).encode(),
                    rehash=False)
    with pytest.raises(CommandError, match="Formatversion 2"):
        import_(newer)


# Round trip into an empty database -----------------------------------------------------------------------------


def test_it_restores_into_an_empty_database(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    original = archive_data(path)
    original_snapshots = {v.number: v.snapshot for v in demo.versions.all()}
    original_files = {d.sha256: document_bytes(d) for d in m.Document.objects.filter(agreement=demo)}

    flush_database()
    assert not m.Agreement.objects.exists() and not m.Party.objects.exists()
    call_command("load_reference", verbosity=0)
    get_user_model().objects.create_user("kreis-editor")  # the account exists here; others do not
    output = import_(path, "--map-user", "kreis-editor=kreis-editor")
    assert "Vorgängervereinbarung" in output and "nicht gefunden" in output

    restored = m.Agreement.objects.get()
    restored_data = archive_data(export(restored, tmp_path / "b.zip"))
    # The 2011 predecessor and the Jobcenter agreement are not in this database: the links stay empty.
    assert original["agreement"].pop("predecessor") is not None
    assert original["agreement"].pop("related") != []
    assert restored_data["agreement"].pop("predecessor") is None
    assert restored_data["agreement"].pop("related") == []
    assert restored_data == original

    assert restored.title == TITLE_2012 and restored.status == m.Agreement.Status.IN_EFFECT
    for document in m.Document.objects.all():
        assert document_bytes(document) == original_files[document.sha256]
    assert m.Person.objects.get(family_name="Gansauer").user.username == "kreis-editor"
    vorlage = m.Vorlage.objects.get()
    assert (vorlage.reference, vorlage.status, vorlage.agreement) == (
        VORLAGE_REFERENCE, m.Vorlage.Status.DONE, restored)
    assert vorlage.consultations.get().agenda_items.get().number == "5"
    # Snapshots: the same content; ids are this database's, so the final version equals the current text.
    for version in restored.versions.all():
        assert strip_ids(version.snapshot) == strip_ids(original_snapshots[version.number])
    assert restored.versions.get(number=4).snapshot == agreement_snapshot(restored)


def strip_ids(snapshot):
    snapshot = copy.deepcopy(snapshot)
    for kind in ("sections", "goals", "offers"):
        for item in snapshot.get(kind, []):
            item["id"] = item["id"] is not None
    for item in snapshot.get("parties", []):
        item.pop("party_id")
    return snapshot


def test_it_creates_the_context_but_not_the_reference_data(demo, tmp_path):
    path = export(demo, tmp_path / "a.zip")
    flush_database()
    with pytest.raises(CommandError, match="load_reference.*Stellen.*: kreis-mettmann.*Kennzahlen: K1E1, K3"):
        import_(path)
    assert not m.Agreement.objects.exists() and not m.Topic.objects.exists()


# Snapshots with ids of rows that no longer exist ---------------------------------------------------------------


def test_it_keeps_items_that_are_gone_apart_in_snapshots(demo, tmp_path):
    """A snapshot id of a deleted goal becomes `goal-gone-n` and a negative id: never another goal's."""
    final = demo.versions.get(number=4)
    gone_snapshot = copy.deepcopy(final.snapshot)
    gone_snapshot["goals"].append({**gone_snapshot["goals"][0], "id": 987654, "title": "Gestrichen"})
    m.AgreementVersion.objects.create(
        agreement=demo, number=5, author_party=final.author_party, sent_at=final.sent_at, snapshot=gone_snapshot,
    )
    path = export(demo, tmp_path / "a.zip")
    exported = archive_data(path)["versions"][4]["snapshot"]["goals"]
    assert exported[-1]["id"] == "goal-gone-1"
    import_(path, "--as-copy")
    copied = the_copy(demo)
    goals = copied.versions.get(number=5).snapshot["goals"]
    assert goals[-1]["id"] == -1
    assert [g["id"] for g in goals[:-1]] == list(copied.goals.order_by("order", "id").values_list("pk", flat=True))
    assert archive_data(export(copied, tmp_path / "b.zip"))["versions"][4]["snapshot"]["goals"] == exported


# Other shapes: synthetic agreements (quantitative goals, reviews with actual values, Vorlagen in every state) ----


def test_it_round_trips_synthetic_agreements(db, tmp_path):
    from agreements.data import synthetic

    synthetic.generate(years=(2013,), goals_per_agreement=4, versions=2, steps=4, letters=2, seed=3)
    chosen = {}
    for agreement in m.Agreement.objects.order_by("pk"):
        chosen.setdefault(agreement.status, agreement)
    assert len(chosen) >= 3
    assert m.Assessment.objects.filter(actual_value__isnull=False).exists()
    for number, agreement in enumerate(chosen.values()):
        path = export(agreement, tmp_path / f"s{number}.zip")
        import_(path, "--as-copy")
        copied = the_copy(agreement)
        assert copied.status == agreement.status
        again = archive_data(export(copied, tmp_path / f"c{number}.zip"))
        assert normalised(again) == normalised(archive_data(path)), agreement.status
        assert list(copied.goals.values_list("reference_value", "target_value")) == list(
            agreement.goals.values_list("reference_value", "target_value"))


# The archive is not trusted (issue 10, C.10) ------------------------------------------------------------------


def read_members(path):
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_members(target, members, *, attrs=None, manifest=True):
    """A ZIP of `members` ({name: bytes}) with the manifest made to match (unless manifest=False); `attrs` gives
    external attributes per name (links, directories)."""
    members = dict(members)
    if manifest:
        listed = json.loads(members[archive.MANIFEST])
        listed["files"] = [
            {"path": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for name, content in members.items() if name != archive.MANIFEST
        ]
        listed["agreement_sha256"] = hashlib.sha256(members[archive.AGREEMENT_JSON]).hexdigest()
        members[archive.MANIFEST] = json.dumps(listed).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, date_time=archive.ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (attrs or {}).get(name, archive.ZIP_FILE_MODE)
            zf.writestr(info, content)
    return target


def replace_document_bytes(source, target, title, content, *, content_type=None):
    """The archive with the bytes of the document `title` replaced by `content` (consistently: new member name,
    size and checksum), optionally with another stated content type."""
    members = read_members(source)
    data = json.loads(members[archive.AGREEMENT_JSON])
    document = next(d for d in data["documents"] if d["title"] == title)
    sha256 = hashlib.sha256(content).hexdigest()
    old_path = document["file"]
    if not any(d["file"] == old_path for d in data["documents"] if d is not document):
        del members[old_path]
    document.update(file=f"files/{sha256}", sha256=sha256, size=len(content))
    if content_type:
        document["content_type"] = content_type
    members[f"files/{sha256}"] = content
    members[archive.AGREEMENT_JSON] = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    return write_members(target, members), f"files/{sha256}"


def refused(settings, path, match, *args):
    """The import of `path` is refused with `match` and leaves no row and no file behind."""
    before, files = row_counts(), stored_files(settings)
    with pytest.raises(CommandError, match=match) as error:
        import_(path, "--as-copy", *args)
    assert row_counts() == before
    assert stored_files(settings) == files
    return str(error.value)


HTML = b"<!DOCTYPE html><html><body><script>fetch('/verwaltung/')</script></body></html>"


@pytest.mark.parametrize("content_type", [None, "text/html"])
def test_it_refuses_a_document_whose_bytes_are_html(demo, tmp_path, settings, content_type):
    path = export(demo, tmp_path / "a.zip")
    title = m.Document.objects.filter(agreement=demo).order_by("pk").first().title
    html, member = replace_document_bytes(path, tmp_path / "h.zip", title, HTML, content_type=content_type)
    message = refused(settings, html, f"„{member}“.*{title}.*HTML-Datei")
    assert "nichts gespeichert" in message
    refused(settings, html, "HTML-Datei", "--dry-run")


def test_it_refuses_a_document_whose_type_is_not_the_stated_one(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    document = m.Document.objects.filter(agreement=demo, content_type="application/pdf").first()
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    changed, member = replace_document_bytes(path, tmp_path / "t.zip", document.title, document_bytes(document),
                                             content_type=docx)
    refused(settings, changed, f"„{document.title}“ ist im Archiv als „{docx}“ angegeben.*„{member}“")


def test_it_refuses_a_pdfa_claim_the_file_does_not_make(demo, tmp_path, settings):
    """A plain PDF (no PDF/A marker) in place of a document the archive calls PDF/A."""
    path = export(demo, tmp_path / "a.zip")
    claimed = next(d for d in archive_data(path)["documents"] if d["is_pdfa"])
    pdf = pikepdf.new()
    pdf.add_blank_page()
    plain = io.BytesIO()
    pdf.save(plain)
    changed, _member = replace_document_bytes(path, tmp_path / "p.zip", claimed["title"], plain.getvalue())
    refused(settings, changed, f"„{claimed['title']}“ ist im Archiv als PDF/A")


def test_it_refuses_a_document_larger_than_an_upload_may_be(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    largest = m.Document.objects.filter(agreement=demo).order_by("-size").first()
    settings.UPLOAD_MAX_BYTES = largest.size - 1
    refused(settings, path, f"files/{largest.sha256}.*größer als erlaubt")


SYMLINK = (stat.S_IFLNK | 0o777) << 16
HARDLINK_OR_DEVICE = (stat.S_IFCHR | 0o644) << 16
DIRECTORY = (stat.S_IFDIR | 0o755) << 16 | 0x10


@pytest.mark.parametrize("attr, what", [
    (SYMLINK, "symbolische Verknüpfung"), (HARDLINK_OR_DEVICE, "Verknüpfung oder Sonderdatei"),
])
def test_it_refuses_a_member_that_is_a_link(demo, tmp_path, settings, attr, what):
    """The member keeps its bytes and checksum: only its type says "link". Nothing may follow it."""
    path = export(demo, tmp_path / "a.zip")
    member = f"files/{demo.signed_file.sha256}"
    linked = write_members(tmp_path / "l.zip", read_members(path), attrs={member: attr}, manifest=False)
    refused(settings, linked, f"„{member}“: {what}.*nur gewöhnliche Dateien")


@pytest.mark.parametrize("name, what", [
    ("../agreement.json", "unzulässiger Pfad"), ("/etc/zielsteuerung/env", "unzulässiger Pfad"),
    ("files/../../x", "unzulässiger Pfad"), ("C:/x", "unzulässiger Pfad"), ("files/", "Verzeichnis"),
])
def test_it_refuses_absolute_and_parent_paths_and_directories(demo, tmp_path, settings, name, what):
    path = export(demo, tmp_path / "a.zip")
    members = read_members(path)
    members[name] = b""
    attrs = {name: DIRECTORY} if name.endswith("/") else {}
    changed = write_members(tmp_path / "p.zip", members, attrs=attrs, manifest=False)
    refused(settings, changed, f"„{re.escape(name)}“: {what}")


def duplicate_first(key):
    def change(data):
        data[key].append(copy.deepcopy(data[key][0]))
    return change


def duplicate_agreement_party(data):
    data["agreement"]["parties"].append({**data["agreement"]["parties"][0], "order": 9})


def duplicate_assessment(data):
    review = data["reviews"][0]
    review["assessments"].append(copy.deepcopy(review["assessments"][0]))


@pytest.mark.parametrize("change, what", [
    (duplicate_first("goals"), "das Ziel „goal-1“"),
    (duplicate_first("documents"), "das Dokument „document-1“"),
    (duplicate_first("sections"), "den Abschnitt „section-1“"),
    (duplicate_first("letters"), "das Schreiben „letter-1“"),
    (duplicate_agreement_party, "die Stelle unter den Vereinbarungspartnern „mais-nrw“"),
])
def test_it_refuses_duplicates_instead_of_merging_them(demo, tmp_path, settings, change, what):
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    change(data)
    changed = rewrite(path, tmp_path / "d.zip", data=data)
    refused(settings, changed, f"Im Archiv kommt {what} mehrfach vor")


def test_it_refuses_a_duplicate_assessment_of_a_goal(demo, tmp_path, settings):
    path = export(demo.predecessor, tmp_path / "a.zip")
    data = archive_data(path)
    duplicate_assessment(data)
    refused(settings, rewrite(path, tmp_path / "d.zip", data=data), "die Bewertung des Ziels „goal-1“ mehrfach")


def test_it_refuses_a_duplicate_key_in_one_json_object(demo, tmp_path, settings):
    """json.loads keeps the last of two equal keys: the title a reader of the file sees is not the one imported."""
    path = export(demo, tmp_path / "a.zip")
    members = read_members(path)
    members[archive.AGREEMENT_JSON] = members[archive.AGREEMENT_JSON].replace(
        b'"title": ', b'"title": "Versteckt", "title": ', 1)
    changed = write_members(tmp_path / "j.zip", members)
    refused(settings, changed, f"„{archive.AGREEMENT_JSON}“ .*Schlüssel „title“ mehrfach")


def describe_party(data, key, **values):
    for party in data["context"]["parties"]:
        if party["key"] == key:
            party.update(values)


def test_it_refuses_a_party_key_that_means_another_party_in_the_archive(demo, tmp_path, settings):
    """A Neuss archive whose Kreis happens to carry the key of the local Kreis Mettmann must not make Mettmann a
    party of the Neuss agreement."""
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    describe_party(data, "kreis-mettmann", name="Rhein-Kreis Neuss")
    neuss = rewrite(path, tmp_path / "n.zip", data=data)
    message = refused(settings, neuss, "„kreis-mettmann“ ist im Archiv „Rhein-Kreis Neuss“ \\(Kreis\\), hier "
                                       "„Kreis Mettmann“ \\(Kreis\\)")
    assert "--map-party" in message


def test_it_refuses_a_party_the_archive_does_not_describe(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    data["context"]["parties"] = [p for p in data["context"]["parties"] if p["key"] != "kreis-mettmann"]
    refused(settings, rewrite(path, tmp_path / "u.zip", data=data), "„kreis-mettmann“ wird im Archiv nicht beschrieben")


def test_it_maps_a_party_only_when_told_and_only_to_the_same_kind(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    describe_party(data, "kreis-mettmann", name="Kreis Mettmann (Kreisverwaltung)")
    renamed = rewrite(path, tmp_path / "r.zip", data=data)
    refused(settings, renamed, "„kreis-mettmann“ ist im Archiv „Kreis Mettmann \\(Kreisverwaltung\\)“")
    refused(settings, renamed,
            "„kreis-mettmann“ ist im Archiv .*\\(Kreis\\), hier „Ministerium.*\\(Landesministerium\\).*"
            "„kreis-mettmann“, „mais-nrw“ würden derselben Stelle „mais-nrw“ zugeordnet",
            "--map-party", "kreis-mettmann=mais-nrw")
    refused(settings, renamed, "kommen im Archiv nicht vor: gibt-es-nicht", "--map-party", "gibt-es-nicht=mais-nrw")
    output = import_(renamed, "--as-copy", "--map-party", "kreis-mettmann=kreis-mettmann")
    assert "kreis-mettmann → Kreis Mettmann" in output
    assert the_copy(demo).agreement_parties.filter(party__key="kreis-mettmann").exists()


USER_FIELDS = [
    (m.Agreement, "created_by"), (m.Document, "uploaded_by"), (m.Letter, "registered_by"),
    (m.Statement, "created_by"), (m.AgreementVersion, "sent_by"), (m.Proposal, "decided_by"),
    (m.Proposal, "created_by"), (m.ProcedureStep, "actor"), (m.Signature, "recorded_by"), (m.Review, "created_by"),
    (m.Vorlage, "released_by"), (m.Vorlage, "created_by"),
]


def name_everyone(data, username):
    """Every user field of the archive names `username`."""
    rows = [
        ("agreement", data["agreement"]), *(("document", x) for x in data["documents"]),
        *(("letter", x) for x in data["letters"]), *(("statement", x) for x in data["statements"]),
        *(("version", x) for x in data["versions"]), *(("proposal", x) for x in data["proposals"]),
        *(("step", x) for x in data["procedure_steps"]), *(("signature", x) for x in data["signatures"]),
        *(("review", x) for x in data["reviews"]), *(("vorlage", x) for x in data["vorlagen"]),
    ]
    fields = {"proposal": ("decided_by", "created_by"), "vorlage": ("released_by", "created_by")}
    for kind, row in rows:
        for name in fields.get(kind, ()) or [key for key in row if key in USER_FIELD_NAMES]:
            row[name] = username


USER_FIELD_NAMES = {"created_by", "uploaded_by", "registered_by", "sent_by", "actor", "recorded_by"}


def test_it_records_archived_people_as_names_not_as_local_accounts(demo, tmp_path):
    """An archive that says "admin" did everything must not attribute anything to the local admin."""
    admin = get_user_model().objects.filter(username="admin").first() or get_user_model().objects.create_superuser(
        "admin", password="x")
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    name_everyone(data, "admin")
    output = import_(rewrite(path, tmp_path / "admin.zip", data=data), "--as-copy")
    assert "als Namen gespeichert" in output and "admin" in output
    copied = the_copy(demo)
    imported = {
        m.Agreement: [copied.pk], m.Document: list(copied.documents.values_list("pk", flat=True)),
        m.Letter: list(copied.letters.values_list("pk", flat=True)),
        m.Statement: list(copied.statements.values_list("pk", flat=True)),
        m.AgreementVersion: list(copied.versions.values_list("pk", flat=True)),
        m.Proposal: list(copied.proposals.values_list("pk", flat=True)),
        m.ProcedureStep: list(copied.steps.values_list("pk", flat=True)),
        m.Signature: list(copied.signatures.values_list("pk", flat=True)),
        m.Vorlage: list(copied.vorlagen.values_list("pk", flat=True)),
    }
    for model, field in USER_FIELDS:
        if model in imported:
            assert not model.objects.filter(pk__in=imported[model], **{field: admin}).exists(), (model, field)
    names = m.ArchivedUserName.objects.filter(name="admin")
    assert names.filter(field="uploaded_by").count() == copied.documents.count()
    assert names.filter(field="created_by", object_id=copied.pk).exists()
    # A later export carries the name on: the record is still attributed to "admin" of the source system.
    assert archive_data(export(copied, tmp_path / "b.zip"))["agreement"]["created_by"] == "admin"


def test_it_binds_archived_people_to_local_accounts_only_when_mapped(demo, tmp_path, settings):
    clerk = get_user_model().objects.create_user("sachbearbeitung")
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    name_everyone(data, "admin")
    admin_archive = rewrite(path, tmp_path / "admin.zip", data=data)
    refused(settings, admin_archive, "Benutzerkonten gibt es hier nicht: niemand", "--map-user", "admin=niemand")
    refused(settings, admin_archive, "Namen kommen im Archiv nicht vor: root", "--map-user", "root=sachbearbeitung")
    import_(admin_archive, "--as-copy", "--map-user", "admin=sachbearbeitung")
    copied = the_copy(demo)
    assert copied.created_by == clerk
    assert set(copied.documents.values_list("uploaded_by", flat=True)) == {clerk.pk}
    assert not m.ArchivedUserName.objects.filter(object_id=copied.pk, field="created_by").exists()


# Zip bombs and lying sizes ---------------------------------------------------------------------------------------


def add_zero_document(source, target, size):
    """The archive with one more document: `size` zero bytes, streamed into the ZIP (small on disk), listed in
    the manifest with its real size and checksum."""
    members = read_members(source)
    digest = hashlib.sha256()
    chunk = bytes(1024 * 1024)
    for _ in range(size // len(chunk)):
        digest.update(chunk)
    sha256 = digest.hexdigest()
    data = json.loads(members[archive.AGREEMENT_JSON])
    document = {**copy.deepcopy(data["documents"][0]), "ref": "document-99", "title": "Nullen",
                "file": f"files/{sha256}", "size": size, "sha256": sha256}
    data["documents"].append(document)
    members[archive.AGREEMENT_JSON] = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    manifest = json.loads(members[archive.MANIFEST])
    manifest["files"] = [
        {"path": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        for name, content in members.items() if name != archive.MANIFEST
    ] + [{"path": f"files/{sha256}", "size": size, "sha256": sha256}]
    manifest["agreement_sha256"] = hashlib.sha256(members[archive.AGREEMENT_JSON]).hexdigest()
    members[archive.MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
        with zf.open(f"files/{sha256}", "w") as sink:
            for _ in range(size // len(chunk)):
                sink.write(chunk)
    return target, f"files/{sha256}"


def test_it_refuses_a_zip_bomb_quickly_with_bounded_memory(demo, tmp_path, settings):
    """64 MB of zeros (about 64 KB in the ZIP) against an upload limit of 1 MB: refused from the declared size,
    before a byte of it is unpacked."""
    path = export(demo, tmp_path / "a.zip")
    bomb, member = add_zero_document(path, tmp_path / "bomb.zip", 64 * 1024 * 1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    tracemalloc.start()
    try:
        refused(settings, bomb, f"„{member}“ im Archiv ist größer als erlaubt \\(höchstens 1 MB\\)", "--dry-run")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, peak


def test_it_refuses_an_archive_that_unpacks_to_more_than_the_total_limit(demo, tmp_path, settings, monkeypatch):
    path = export(demo, tmp_path / "a.zip")
    total = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    monkeypatch.setattr(archive, "MAX_TOTAL_SIZE", total - 1)
    refused(settings, path, "mehr als .* MB ergeben")


def test_it_reads_no_more_than_a_lying_header_declares(demo, tmp_path, settings):
    """A member whose ZIP headers declare 1000 bytes but whose data unpacks to 8 MB: reading stops at the declared
    size and the member is refused as damaged."""
    path = export(demo, tmp_path / "a.zip")
    bomb, member = add_zero_document(path, tmp_path / "bomb.zip", 8 * 1024 * 1024)
    raw = bytearray(bomb.read_bytes())
    with zipfile.ZipFile(bomb) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", raw, info.header_offset + 22, 1000)
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        name_length = int.from_bytes(raw[central + 28:central + 30], "little")
        if raw[central + 46:central + 46 + name_length].decode() == member:
            struct.pack_into("<I", raw, central + 24, 1000)
        central = raw.find(b"PK\x01\x02", central + 4)
    lying = tmp_path / "lying.zip"
    lying.write_bytes(bytes(raw))
    # The manifest still says 8 MB: the declared 1000 bytes do not match it.
    refused(settings, lying, f"„{member}“.*(Prüfsumme|beschädigt)")
    with zipfile.ZipFile(lying) as zf:
        with pytest.raises(archive.ArchiveError, match="beschädigt"):
            archive._read_member(zf, zf.getinfo(member), 1000)
    # Whatever a header says, no more than the limit is read.
    with zipfile.ZipFile(path) as zf, pytest.raises(archive.ArchiveError, match="größer als angegeben"):
        archive._read_member(zf, zf.getinfo(archive.AGREEMENT_JSON), 10)

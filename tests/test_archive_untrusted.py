"""The archive is not trusted (issue 10, C.10): what an import refuses before anything is written, and that a
refusal leaves no row and no file behind."""

import copy
import hashlib
import io
import json
import re
import stat
import struct
import tracemalloc
import zipfile

import pikepdf
import pytest
from django.contrib.auth import get_user_model

from agreements import models as m
from agreements.transfer import archive
from agreements.transfer.archive import members as zip_members

from .archive_builders import (
    archive_data,
    document_bytes,
    export,
    import_,
    read_members,
    refused,
    replace_document_bytes,
    rewrite,
    the_copy,
    write_members,
)

HTML = b"<!DOCTYPE html><html><body><script>fetch('/verwaltung/')</script></body></html>"


@pytest.mark.parametrize("content_type", [None, "text/html"])
def test_it_refuses_a_document_whose_bytes_are_html(demo_2012, tmp_path, settings, content_type):
    path = export(demo_2012, tmp_path / "a.zip")
    title = m.Document.objects.filter(agreement=demo_2012).order_by("pk").first().title
    html, member = replace_document_bytes(path, tmp_path / "h.zip", title, HTML, content_type=content_type)
    message = refused(settings, html, f"„{member}“.*{title}.*HTML-Datei")
    assert "nichts gespeichert" in message
    refused(settings, html, "HTML-Datei", "--dry-run")


def test_it_refuses_a_document_whose_type_is_not_the_stated_one(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    document = m.Document.objects.filter(agreement=demo_2012, content_type="application/pdf").first()
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    changed, member = replace_document_bytes(path, tmp_path / "t.zip", document.title, document_bytes(document),
                                             content_type=docx)
    refused(settings, changed, f"„{document.title}“ ist im Archiv als „{docx}“ angegeben.*„{member}“")


def test_it_refuses_a_pdfa_claim_the_file_does_not_make(demo_2012, tmp_path, settings):
    """A plain PDF (no PDF/A marker) in place of a document the archive calls PDF/A."""
    path = export(demo_2012, tmp_path / "a.zip")
    claimed = next(d for d in archive_data(path)["documents"] if d["is_pdfa"])
    pdf = pikepdf.new()
    pdf.add_blank_page()
    plain = io.BytesIO()
    pdf.save(plain)
    changed, _member = replace_document_bytes(path, tmp_path / "p.zip", claimed["title"], plain.getvalue())
    refused(settings, changed, f"„{claimed['title']}“ ist im Archiv als PDF/A")


def test_it_refuses_a_document_larger_than_an_upload_may_be(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    largest = m.Document.objects.filter(agreement=demo_2012).order_by("-size").first()
    settings.UPLOAD_MAX_BYTES = largest.size - 1
    refused(settings, path, f"files/{largest.sha256}.*größer als erlaubt")


SYMLINK = (stat.S_IFLNK | 0o777) << 16
HARDLINK_OR_DEVICE = (stat.S_IFCHR | 0o644) << 16
DIRECTORY = (stat.S_IFDIR | 0o755) << 16 | 0x10


@pytest.mark.parametrize("attr, what", [
    (SYMLINK, "symbolische Verknüpfung"), (HARDLINK_OR_DEVICE, "Verknüpfung oder Sonderdatei"),
])
def test_it_refuses_a_member_that_is_a_link(demo_2012, tmp_path, settings, attr, what):
    """The member keeps its bytes and checksum: only its type says "link". Nothing may follow it."""
    path = export(demo_2012, tmp_path / "a.zip")
    member = f"files/{demo_2012.signed_file.sha256}"
    linked = write_members(tmp_path / "l.zip", read_members(path), attrs={member: attr}, manifest=False)
    refused(settings, linked, f"„{member}“: {what}.*nur gewöhnliche Dateien")


@pytest.mark.parametrize("name, what", [
    ("../agreement.json", "unzulässiger Pfad"), ("/etc/zielsteuerung/env", "unzulässiger Pfad"),
    ("files/../../x", "unzulässiger Pfad"), ("C:/x", "unzulässiger Pfad"), ("files/", "Verzeichnis"),
])
def test_it_refuses_absolute_and_parent_paths_and_directories(demo_2012, tmp_path, settings, name, what):
    path = export(demo_2012, tmp_path / "a.zip")
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
def test_it_refuses_duplicates_instead_of_merging_them(demo_2012, tmp_path, settings, change, what):
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    change(data)
    changed = rewrite(path, tmp_path / "d.zip", data=data)
    refused(settings, changed, f"Im Archiv kommt {what} mehrfach vor")


def test_it_refuses_a_duplicate_assessment_of_a_goal(demo_2012, tmp_path, settings):
    path = export(demo_2012.predecessor, tmp_path / "a.zip")
    data = archive_data(path)
    duplicate_assessment(data)
    refused(settings, rewrite(path, tmp_path / "d.zip", data=data), "die Bewertung des Ziels „goal-1“ mehrfach")


def test_it_refuses_a_duplicate_key_in_one_json_object(demo_2012, tmp_path, settings):
    """json.loads keeps the last of two equal keys: the title a reader of the file sees is not the one imported."""
    path = export(demo_2012, tmp_path / "a.zip")
    members = read_members(path)
    members[archive.AGREEMENT_JSON] = members[archive.AGREEMENT_JSON].replace(
        b'"title": ', b'"title": "Versteckt", "title": ', 1)
    changed = write_members(tmp_path / "j.zip", members)
    refused(settings, changed, f"„{archive.AGREEMENT_JSON}“ .*Schlüssel „title“ mehrfach")


def describe_party(data, key, **values):
    for party in data["context"]["parties"]:
        if party["key"] == key:
            party.update(values)


def test_it_refuses_a_party_key_that_means_another_party_in_the_archive(demo_2012, tmp_path, settings):
    """A Neuss archive whose Kreis happens to carry the key of the local Kreis Mettmann must not make Mettmann a
    party of the Neuss agreement."""
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    describe_party(data, "kreis-mettmann", name="Rhein-Kreis Neuss")
    neuss = rewrite(path, tmp_path / "n.zip", data=data)
    message = refused(settings, neuss, "„kreis-mettmann“ ist im Archiv „Rhein-Kreis Neuss“ \\(Kreis\\), hier "
                                       "„Kreis Mettmann“ \\(Kreis\\)")
    assert "--map-party" in message


def test_it_refuses_a_party_the_archive_does_not_describe(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    data["context"]["parties"] = [p for p in data["context"]["parties"] if p["key"] != "kreis-mettmann"]
    refused(settings, rewrite(path, tmp_path / "u.zip", data=data), "„kreis-mettmann“ wird im Archiv nicht beschrieben")


def test_it_maps_a_party_only_when_told_and_only_to_the_same_kind(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
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
    assert the_copy(demo_2012).agreement_parties.filter(party__key="kreis-mettmann").exists()


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


def test_it_records_archived_people_as_names_not_as_local_accounts(demo_2012, tmp_path):
    """An archive that says "admin" did everything must not attribute anything to the local admin."""
    admin = get_user_model().objects.filter(username="admin").first() or get_user_model().objects.create_superuser(
        "admin", password="x")
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    name_everyone(data, "admin")
    output = import_(rewrite(path, tmp_path / "admin.zip", data=data), "--as-copy")
    assert "als Namen gespeichert" in output and "admin" in output
    copied = the_copy(demo_2012)
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


def test_it_binds_archived_people_to_local_accounts_only_when_mapped(demo_2012, tmp_path, settings):
    clerk = get_user_model().objects.create_user("sachbearbeitung")
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    name_everyone(data, "admin")
    admin_archive = rewrite(path, tmp_path / "admin.zip", data=data)
    refused(settings, admin_archive, "Benutzerkonten gibt es hier nicht: niemand", "--map-user", "admin=niemand")
    refused(settings, admin_archive, "Namen kommen im Archiv nicht vor: root", "--map-user", "root=sachbearbeitung")
    import_(admin_archive, "--as-copy", "--map-user", "admin=sachbearbeitung")
    copied = the_copy(demo_2012)
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


def test_it_refuses_a_zip_bomb_quickly_with_bounded_memory(demo_2012, tmp_path, settings):
    """64 MB of zeros (about 64 KB in the ZIP) against an upload limit of 1 MB: refused from the declared size,
    before a byte of it is unpacked."""
    path = export(demo_2012, tmp_path / "a.zip")
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


def test_it_refuses_an_archive_that_unpacks_to_more_than_the_total_limit(demo_2012, tmp_path, settings, monkeypatch):
    path = export(demo_2012, tmp_path / "a.zip")
    total = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    monkeypatch.setattr(zip_members, "MAX_TOTAL_SIZE", total - 1)
    refused(settings, path, "mehr als .* MB ergeben")


def test_it_reads_no_more_than_a_lying_header_declares(demo_2012, tmp_path, settings):
    """A member whose ZIP headers declare 1000 bytes but whose data unpacks to 8 MB: reading stops at the declared
    size and the member is refused as damaged."""
    path = export(demo_2012, tmp_path / "a.zip")
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
            zip_members.read_member(zf, zf.getinfo(member), 1000)
    # Whatever a header says, no more than the limit is read.
    with zipfile.ZipFile(path) as zf, pytest.raises(archive.ArchiveError, match="größer als angegeben"):
        zip_members.read_member(zf, zf.getinfo(archive.AGREEMENT_JSON), 10)

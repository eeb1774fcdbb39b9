"""export_agreement / import_agreement: the archive restores an agreement with everything that belongs to it."""

import copy
import hashlib
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from agreements import models as m
from agreements.data.demo import TITLE_2012, VORLAGE_REFERENCE
from agreements.models.agreements import LEGACY_CORRIDOR_EXCEPTION_REASON
from agreements.services.versions import agreement_snapshot
from agreements.transfer import archive

from .archive_builders import (
    SUFFIX,
    archive_data,
    document_bytes,
    export,
    flush_database,
    import_,
    normalised,
    refused,
    rewrite,
    row_counts,
    stored_files,
    the_copy,
)

# Export ----------------------------------------------------------------------------------------------------------


def test_it_writes_manifest_agreement_and_files(demo_2012, tmp_path):
    path = export(demo_2012, tmp_path / "a.zip")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read(archive.MANIFEST))
        payload = zf.read(archive.AGREEMENT_JSON)
        assert {info.date_time for info in zf.infolist()} == {archive.ZIP_TIMESTAMP}
        documents = m.Document.objects.filter(agreement=demo_2012)
        assert documents.count() == 5
        for document in documents:
            assert zf.read(f"files/{document.sha256}") == document_bytes(document)

    assert manifest["format"] == archive.FORMAT_NAME
    assert manifest["format_version"] == archive.FORMAT_VERSION
    assert manifest["agreement"]["id"] == demo_2012.pk
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


def test_it_exports_deterministically(demo_2012, tmp_path):
    first = export(demo_2012, tmp_path / "a.zip")
    second = export(demo_2012, tmp_path / "b.zip")
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.read(archive.AGREEMENT_JSON) == b.read(archive.AGREEMENT_JSON)
        assert a.namelist() == b.namelist()
        assert [i.date_time for i in a.infolist()] == [i.date_time for i in b.infolist()]
    assert archive.agreement_json(demo_2012) == archive.agreement_json(demo_2012)


def test_it_refuses_an_unknown_agreement(db, tmp_path):
    with pytest.raises(CommandError, match="keine Zielvereinbarung mit der Nummer 999"):
        call_command("export_agreement", "999", "-o", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


def test_it_refuses_to_export_a_file_that_no_longer_matches_its_checksum(demo_2012, tmp_path):
    document = m.Document.objects.filter(agreement=demo_2012).first()
    with open(document.file.path, "r+b") as handle:
        handle.write(b"X")
    with pytest.raises(CommandError, match="stimmt nicht mit ihrer Prüfsumme"):
        export(demo_2012, tmp_path / "a.zip")
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".*tmp")) == []


# Round trip in the same database -------------------------------------------------------------------------------


def test_it_round_trips_as_a_copy(demo_2012, tmp_path):
    # The ministry sent the last Fassung, so the county holds the pen (stored, as a send stores it).
    m.Agreement.objects.filter(pk=demo_2012.pk).update(pen_party=m.Party.objects.get(key="kreis-mettmann"))
    demo_2012.refresh_from_db()
    original_path = export(demo_2012, tmp_path / "a.zip")
    output = import_(original_path, "--as-copy")
    copied = the_copy(demo_2012)
    assert "50/016/2012" in output  # the Vorlage's number is taken: the copy gets the next free one

    copy_path = export(copied, tmp_path / "b.zip")
    assert normalised(archive_data(copy_path)) == normalised(archive_data(original_path))

    assert copied.status == demo_2012.status == m.Agreement.Status.IN_EFFECT
    assert copied.predecessor == demo_2012.predecessor
    assert list(copied.related.all()) == list(demo_2012.related.all())

    # Every document's bytes, stored under a new generated name.
    originals = {d.title: d for d in m.Document.objects.filter(agreement=demo_2012)}
    copies = {d.title: d for d in m.Document.objects.filter(agreement=copied)}
    assert originals.keys() == copies.keys()
    for title, document in copies.items():
        assert document.sha256 == originals[title].sha256
        assert document.file.name != originals[title].file.name
        assert document_bytes(document) == document_bytes(originals[title])
        assert hashlib.sha256(document_bytes(document)).hexdigest() == document.sha256
        assert document.created == originals[title].created
    assert copied.signed_file.sha256 == demo_2012.signed_file.sha256 and copied.signed_file != demo_2012.signed_file

    def signatures(agreement):
        return list(agreement.signatures.order_by("date").values_list(
            "party__key", "person__family_name", "signatory_name", "signatory_function", "date", "place"))

    assert signatures(copied) == signatures(demo_2012)

    def steps(agreement):
        return list(agreement.steps.values_list(
            "title", "date", "date_precision", "kind", "version__number", "letter__subject", "description"))

    assert steps(copied) == steps(demo_2012)

    def proposals(agreement):
        return list(agreement.proposals.values_list(
            "concerns", "decision", "reason", "goal__title", "answer_letter__subject", "decided_at", "party__key"))

    assert proposals(copied) == proposals(demo_2012)
    assert copied.statements.count() == demo_2012.statements.count() == 2
    assert copied.letters.count() == demo_2012.letters.count() == 3

    def versions(agreement):
        return list(agreement.versions.values_list("number", "kind", "author_party__key", "sent_at", "note"))

    assert versions(copied) == versions(demo_2012)

    def acceptances(agreement):
        return list(agreement.acceptances.values_list("version__number", "party__key", "accepted_by", "accepted_at"))

    # Who accepted which Fassung, and when: the record of the consent the Endfassung rests on.
    assert acceptances(copied) == acceptances(demo_2012) != []
    assert copied.pen_party_id == demo_2012.pen_party_id is not None
    # Snapshots are the original's, with the copy's own row ids: a redline against the current text works.
    originals = demo_2012.versions.order_by("number")
    for original, imported in zip(originals, copied.versions.order_by("number"), strict=True):
        assert translate_ids(original.snapshot, demo_2012, copied) == imported.snapshot
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
    fields = ("committee", "meeting", "role", "result", "result_recorded_at")
    assert list(copied_vorlage.consultations.values_list(*fields)) == list(vorlage.consultations.values_list(*fields))
    assert vorlage.consultations.exclude(result="").exclude(result_recorded_at=None).exists()
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


def test_it_refuses_a_second_import_without_as_copy(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    before, files = row_counts(), stored_files(settings)
    with pytest.raises(CommandError, match="bereits gespeichert.*--as-copy"):
        import_(path)
    assert row_counts() == before
    assert stored_files(settings) == files


def test_it_numbers_further_copies(demo_2012, tmp_path):
    path = export(demo_2012, tmp_path / "a.zip")
    import_(path, "--as-copy")
    import_(path, "--as-copy")
    titles = set(m.Agreement.objects.filter(year=2012).values_list("title", flat=True))
    assert {demo_2012.title + SUFFIX, demo_2012.title + " (Import 2)"} <= titles
    assert set(m.Vorlage.objects.values_list("reference", flat=True)) == {
        VORLAGE_REFERENCE, "50/016/2012", "50/017/2012"}


def test_it_round_trips_an_agreement_with_reviews(demo_2012, tmp_path):
    agreement_2011 = demo_2012.predecessor
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


def test_it_writes_nothing_in_a_dry_run(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    before, files = row_counts(), stored_files(settings)
    output = import_(path, "--as-copy", "--dry-run")
    assert "Probelauf" in output and "nichts gespeichert" in output
    assert row_counts() == before
    assert stored_files(settings) == files


@pytest.mark.parametrize("what", ["file", "agreement"])
def test_it_refuses_a_tampered_archive(demo_2012, tmp_path, settings, what):
    path = export(demo_2012, tmp_path / "a.zip")
    if what == "file":
        member = f"files/{demo_2012.signed_file.sha256}"
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


def test_it_refuses_a_damaged_zip_member(demo_2012, tmp_path, settings):
    """A byte flipped in the ZIP itself (the compressed data): the member's CRC or stream is broken."""
    path = export(demo_2012, tmp_path / "a.zip")
    member = f"files/{demo_2012.signed_file.sha256}"
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


def test_it_refuses_a_member_that_is_not_in_the_manifest(demo_2012, tmp_path):
    path = export(demo_2012, tmp_path / "a.zip")
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


def test_it_refuses_unknown_party_keys_and_lists_them(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    for statement in data["statements"]:
        if statement["party"] == "liga-nrw":
            statement["party"] = "liga-unbekannt"
    data["procedure_steps"][0]["participants"].append("gibt-es-nicht")
    changed = rewrite(path, tmp_path / "p.zip", data=data)
    refused(settings, changed, "Unbekannte Stellen \\(Schlüssel\\): gibt-es-nicht, liga-unbekannt")


def test_it_refuses_a_bad_value_with_nothing_written(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    data["proposals"][-1]["decision"] = "vielleicht"
    changed = rewrite(path, tmp_path / "v.zip", data=data)
    # Nothing is left, although the documents were stored before the bad proposal was reached.
    refused(settings, changed, "Unbekannter Wert „vielleicht“")


def _outside_the_corridor(goal, **values):
    """The goal as a Monitoring goal whose Zielwert of 40 lies outside its corridor of 24 to 26."""
    goal.update(kind="monitoring", corridor_low="24", corridor_high="26", target_value="40", unit="%", **values)
    return goal


def test_it_carries_the_reason_for_a_target_value_outside_the_corridor(demo_2012, tmp_path):
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    assert all(goal["corridor_exception_reason"] == "" for goal in data["goals"])
    ref = _outside_the_corridor(data["goals"][0], corridor_exception_reason="Sondereffekt")["ref"]
    import_(rewrite(path, tmp_path / "r.zip", data=data), "--as-copy")
    goal = the_copy(demo_2012).goals.get(title=data["goals"][0]["title"])
    assert (goal.target_value, goal.corridor_exception_reason) == (40, "Sondereffekt")
    again = archive_data(export(the_copy(demo_2012), tmp_path / "b.zip"))
    assert next(g for g in again["goals"] if g["ref"] == ref)["corridor_exception_reason"] == "Sondereffekt"


def test_it_reads_an_archive_written_before_the_reason_existed(demo_2012, tmp_path):
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    for goal in data["goals"]:
        del goal["corridor_exception_reason"]
    _outside_the_corridor(data["goals"][0])
    import_(rewrite(path, tmp_path / "old.zip", data=data), "--as-copy")
    reasons = dict(the_copy(demo_2012).goals.values_list("title", "corridor_exception_reason"))
    # The goal outside its corridor says that it was saved without a reason; the others need none.
    assert reasons.pop(data["goals"][0]["title"]) == LEGACY_CORRIDOR_EXCEPTION_REASON
    assert set(reasons.values()) == {""}


def test_it_reads_an_archive_written_before_results_had_a_time(demo_2012, tmp_path):
    """A result without its time is not announced to the committee's members as new: its time stays unknown."""
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    for vorlage in data["vorlagen"]:
        for consultation in vorlage["consultations"]:
            del consultation["result_recorded_at"]
    import_(rewrite(path, tmp_path / "old.zip", data=data), "--as-copy")
    consultations = m.Consultation.objects.filter(paper__agreement=the_copy(demo_2012))
    assert consultations.exclude(result="").exists()
    assert set(consultations.values_list("result_recorded_at", flat=True)) == {None}


def test_it_refuses_a_target_value_outside_the_corridor_without_a_reason(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    ref = _outside_the_corridor(data["goals"][0], corridor_exception_reason="")["ref"]
    changed = rewrite(path, tmp_path / "o.zip", data=data)
    refused(settings, changed,
            f"Ziel „{ref}“: Der Zielwert 40\u00a0% liegt außerhalb des Korridors von 24 bis 26\u00a0%")


def test_it_refuses_an_archive_of_a_newer_format(demo_2012, tmp_path):
    path = export(demo_2012, tmp_path / "a.zip")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read(archive.MANIFEST))
    manifest["format_version"] = archive.FORMAT_VERSION + 1
    newer = rewrite(path, tmp_path / "n.zip", member=archive.MANIFEST, content=json.dumps(manifest).encode(),
                    rehash=False)
    with pytest.raises(CommandError, match="Formatversion 2"):
        import_(newer)


# Round trip into an empty database -----------------------------------------------------------------------------


def test_it_restores_into_an_empty_database(demo_2012, tmp_path, settings):
    path = export(demo_2012, tmp_path / "a.zip")
    original = archive_data(path)
    original_snapshots = {v.number: v.snapshot for v in demo_2012.versions.all()}
    original_files = {d.sha256: document_bytes(d) for d in m.Document.objects.filter(agreement=demo_2012)}

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


def test_it_creates_the_context_but_not_the_reference_data(demo_2012, tmp_path):
    path = export(demo_2012, tmp_path / "a.zip")
    flush_database()
    with pytest.raises(CommandError, match="load_reference.*Stellen.*: kreis-mettmann.*Kennzahlen: K1E1, K3"):
        import_(path)
    assert not m.Agreement.objects.exists() and not m.Topic.objects.exists()


# Snapshots with ids of rows that no longer exist ---------------------------------------------------------------


def test_it_keeps_items_that_are_gone_apart_in_snapshots(demo_2012, tmp_path):
    """A snapshot id of a deleted goal becomes `goal-gone-n` and a negative id: never another goal's."""
    final = demo_2012.versions.get(number=4)
    gone_snapshot = copy.deepcopy(final.snapshot)
    gone_snapshot["goals"].append({**gone_snapshot["goals"][0], "id": 987654, "title": "Gestrichen"})
    m.AgreementVersion.objects.create(
        agreement=demo_2012, number=5, author_party=final.author_party, sent_at=final.sent_at, snapshot=gone_snapshot,
    )
    path = export(demo_2012, tmp_path / "a.zip")
    exported = archive_data(path)["versions"][4]["snapshot"]["goals"]
    assert exported[-1]["id"] == "goal-gone-1"
    import_(path, "--as-copy")
    copied = the_copy(demo_2012)
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


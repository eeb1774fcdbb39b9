"""Everything about an archive that can be checked before anything is written: the ZIP's members, the manifest
and agreement.json against their JSON Schemas (``schema/``), checksums, the documents' bytes, unique keys."""

import functools
import io
import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.infra.uploads import UploadRejected, inspect_upload
from agreements.transfer.archive import schema
from agreements.transfer.archive.format import (
    AGREEMENT_JSON,
    FILE_PATH,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    ArchiveError,
)
from agreements.transfer.archive.members import (
    MAX_MANIFEST_SIZE,
    checked_members,
    member_limit,
    read_member,
    read_small_member,
    spool_member,
    tampered,
)


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs):
    # json.loads keeps the last of two equal keys silently; in an archive that is a second, hidden value.
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _parse_json(raw, path):
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as error:
        raise ArchiveError(
            _("Die Datei „%(path)s“ im Archiv enthält den Schlüssel „%(key)s“ mehrfach in einem Objekt; es wurde "
              "nichts gespeichert.") % {"path": path, "key": error.args[0]}
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(
            _("Die Datei „%(path)s“ im Archiv ist kein gültiges JSON: %(error)s") % {"path": path, "error": error}
        ) from None



def _invalid_manifest(reason):
    return ArchiveError(_("Das Manifest des Archivs ist ungültig: %(reason)s") % {"reason": reason})


def _read_manifest(zf, members):
    """The manifest, checked against the schema of its format version (name and version decide which schema)."""
    if MANIFEST not in members:
        raise ArchiveError(_("Das Archiv enthält keine Datei „%(path)s“.") % {"path": MANIFEST})
    manifest = _parse_json(read_small_member(zf, members[MANIFEST], MAX_MANIFEST_SIZE), MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ArchiveError(_("Die Datei ist kein Archiv einer Zielvereinbarung (Format „%(format)s“ erwartet).")
                           % {"format": FORMAT_NAME})
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _invalid_manifest(_("Die Formatversion fehlt."))
    if version > FORMAT_VERSION:
        raise ArchiveError(
            _("Das Archiv hat die Formatversion %(version)s; diese Installation liest nur bis Version %(max)s.")
            % {"version": version, "max": FORMAT_VERSION}
        )
    if reason := schema.problem(schema.MANIFEST_SCHEMA, manifest):
        raise _invalid_manifest(reason)
    return manifest


def _listed_files(manifest, members):
    """The manifest's file list by path, matched against the ZIP's members both ways."""
    listed = {}
    for entry in manifest["files"]:
        if entry["path"] in listed:
            raise _invalid_manifest(_("Der Pfad „%(path)s“ ist doppelt aufgeführt.") % {"path": entry["path"]})
        listed[entry["path"]] = entry
    if AGREEMENT_JSON not in listed:
        raise _invalid_manifest(_("„%(path)s“ ist nicht aufgeführt.") % {"path": AGREEMENT_JSON})
    if manifest["agreement_sha256"] != listed[AGREEMENT_JSON]["sha256"]:
        raise tampered(AGREEMENT_JSON)
    unlisted = sorted(set(members) - set(listed) - {MANIFEST})
    if unlisted:
        raise ArchiveError(
            _("Das Archiv enthält Dateien, die nicht im Manifest stehen: %(names)s; es wurde nichts gespeichert.")
            % {"names": ", ".join(unlisted)}
        )
    missing = sorted(set(listed) - set(members))
    if missing:
        raise ArchiveError(
            _("Im Archiv fehlen Dateien, die das Manifest aufführt: %(names)s") % {"names": ", ".join(missing)}
        )
    for path, entry in listed.items():
        if members[path].file_size != entry["size"]:
            raise tampered(path)
    return listed


def _read_agreement(zf, info, entry, version):
    sink = io.BytesIO()
    sha256, size = read_member(zf, info, entry["size"], sink=sink)
    if sha256 != entry["sha256"] or size != entry["size"]:
        raise tampered(AGREEMENT_JSON)
    data = _parse_json(sink.getvalue(), AGREEMENT_JSON)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME or data.get("format_version") != version:
        raise ArchiveError(_("„%(path)s“ passt nicht zum Manifest (Format oder Version).") % {"path": AGREEMENT_JSON})
    if reason := schema.problem(schema.AGREEMENT_SCHEMA, data):
        raise ArchiveError(
            _("„%(path)s“ hat nicht den erwarteten Aufbau; es wurde nichts gespeichert. %(reason)s")
            % {"path": AGREEMENT_JSON, "reason": reason}
        )
    return data



def _check_documents(data, listed):
    """Every document names a listed file with its size and SHA-256; returns {path: [documents]}."""
    by_path = {}
    for document in data["documents"]:
        entry = listed.get(document["file"])
        if entry is None or entry["sha256"] != document["sha256"] or entry["size"] != document["size"]:
            raise ArchiveError(
                _("Die Datei des Dokuments „%(title)s“ fehlt im Archiv oder passt nicht zu seinen Angaben.")
                % {"title": document["title"]}
            )
        by_path.setdefault(document["file"], []).append(document)
    return by_path


def _check_file(zf, info, entry, documents):
    """Checksum, then the upload checks by content: an archive is no way around them. The stated type of every
    document using the file must be the type its bytes have."""
    spool, sha256, size = spool_member(zf, info, min(entry["size"], member_limit(info.filename)))
    with spool:
        if sha256 != entry["sha256"] or size != entry["size"] or FILE_PATH.match(info.filename).group(1) != sha256:
            raise tampered(info.filename)
        try:
            upload = inspect_upload(spool)
        except UploadRejected as error:
            raise ArchiveError(
                _("Die Datei „%(path)s“ im Archiv (Dokument „%(title)s“) wird nicht angenommen: %(reason)s Es wurde "
                  "nichts gespeichert.")
                % {"path": info.filename, "title": _titles(documents), "reason": error}
            ) from None
    for document in documents:
        if document["content_type"] != upload.content_type:
            raise ArchiveError(
                _("Das Dokument „%(title)s“ ist im Archiv als „%(stated)s“ angegeben, die Datei „%(path)s“ ist aber "
                  "„%(actual)s“; es wurde nichts gespeichert.")
                % {"title": document["title"], "stated": document["content_type"], "path": info.filename,
                   "actual": upload.content_type}
            )
        if document["is_pdfa"] and not upload.is_pdfa:
            # A bundle claims PDF/A only when every part is; the claim must come from the file, not the archive.
            raise ArchiveError(
                _("Das Dokument „%(title)s“ ist im Archiv als PDF/A angegeben, die Datei „%(path)s“ ist aber nicht als "
                  "PDF/A gekennzeichnet; es wurde nichts gespeichert.")
                % {"title": document["title"], "path": info.filename}
            )


def _titles(documents):
    return ", ".join(d["title"] for d in documents) or "–"


# Keys that identify a row within the archive: each must occur once (per list; per parent where nested).
UNIQUE_KEYS = (
    (("sections",), "ref", gettext_lazy("den Abschnitt")),
    (("goals",), "ref", gettext_lazy("das Ziel")),
    (("offers",), "ref", gettext_lazy("das Unterstützungsangebot")),
    (("documents",), "ref", gettext_lazy("das Dokument")),
    (("letters",), "ref", gettext_lazy("das Schreiben")),
    (("versions",), "number", gettext_lazy("die Fassung")),
    (("vorlagen",), "reference", gettext_lazy("die Vorlage")),
    (("agreement", "parties"), "party", gettext_lazy("die Stelle unter den Vereinbarungspartnern")),
    (("context", "departments"), "ref", gettext_lazy("den Fachbereich")),
    (("context", "people"), "ref", gettext_lazy("die Person")),
    (("context", "committees"), "ref", gettext_lazy("das Gremium")),
    (("context", "meetings"), "ref", gettext_lazy("die Sitzung")),
    (("context", "topics"), "number", gettext_lazy("den Themenschwerpunkt")),
    (("context", "parties"), "key", gettext_lazy("die Stelle")),
)


def _duplicate(what, key):
    return ArchiveError(
        _("Im Archiv kommt %(what)s „%(key)s“ mehrfach vor; es wurde nichts gespeichert.")
        % {"what": what, "key": key}
    )


def _first_duplicate(values):
    seen = set()
    for value in values:
        marker = json.dumps(value, sort_keys=True)
        if marker in seen:
            return value
        seen.add(marker)
    return None


def _check_unique(data):
    """Duplicates are errors, never merged: two goals with one reference would otherwise become one target of
    every reference to them, two parties with one key one signature too few. (The schema has made sure that every
    list and key below is there.)"""
    for path, key, what in UNIQUE_KEYS:
        rows = functools.reduce(lambda node, name: node[name], path, data)
        if (value := _first_duplicate(row[key] for row in rows)) is not None:
            raise _duplicate(what, value)
    for values, what in (
        (data["agreement"]["legal_bases"], _("die Rechtsgrundlage")),
        (data["context"]["legal_bases"], _("die Rechtsgrundlage")),
        *((s["participants"], _("die beteiligte Stelle eines Verfahrensschritts")) for s in data["procedure_steps"]),
        *(([x["goal"] for x in r["assessments"]], _("die Bewertung des Ziels")) for r in data["reviews"]),
        ([(i["meeting"], i["number"]) for v in data["vorlagen"] for c in v["consultations"]
          for i in c["agenda_items"]], _("der Tagesordnungspunkt (Sitzung, Nummer)")),
    ):
        if (value := _first_duplicate(values)) is not None:
            raise _duplicate(what, value)


def verify_archive(zf):
    """Check the members, the manifest (against its schema), every member's size and SHA-256, agreement.json
    (against its schema, then its keys) and the documents' contents, all before anything is written; returns
    (manifest, agreement data, members)."""
    members = checked_members(zf)
    manifest = _read_manifest(zf, members)
    listed = _listed_files(manifest, members)
    data = _read_agreement(zf, members[AGREEMENT_JSON], listed[AGREEMENT_JSON], manifest["format_version"])
    _check_unique(data)
    documents = _check_documents(data, listed)
    for path in sorted(listed):
        if path != AGREEMENT_JSON:
            _check_file(zf, members[path], listed[path], documents.get(path, []))
    return manifest, data, {path: members[path] for path in listed}

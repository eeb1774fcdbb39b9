"""Builders shared by the archive tests: exporting and importing through the commands, reading and rewriting the
members of an archive, and checking that a refused import leaves no row and no file behind."""

import copy
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from agreements import models as m
from agreements.transfer import archive

SUFFIX = archive.COPY_SUFFIX


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


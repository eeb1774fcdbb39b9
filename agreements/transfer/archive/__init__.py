"""Archive of one agreement: a ZIP file that restores it, with everything that belongs to it, in another database.

`manage.py export_agreement <id> -o archive.zip` writes it, `manage.py import_agreement archive.zip` reads it.

Modules: ``format`` (names and fields shared by both directions), ``export``, ``members`` (reading the ZIP's
members within limits), ``schema`` (the JSON Schemas and their German messages), ``verify`` (everything checked
before a row is written) and ``importer``.

Format (``FORMAT_NAME``, version ``FORMAT_VERSION``)
----------------------------------------------------
- ``manifest.json``: format name and version, ``created_at``, ``source`` (system, version, host, database),
  the source agreement (``id``, title, year), ``agreement_sha256`` and ``files``: every other member of the
  ZIP with ``path``, ``size`` and ``sha256``. A member that is not listed makes the archive invalid.
- ``agreement.json``: the agreement and everything that belongs to it (see ``_Exporter.build``). Nothing in it
  is a database id of the source system: rows refer to each other by archive references (``goal-3``,
  ``document-1``, …, numbered in the order the rows are listed), to reference data by natural keys (party
  key, legal basis citation, indicator code, topic number) and to people by user name. Written with
  sorted keys and in a fixed order, so the same agreement exported twice gives the same bytes.
- ``files/<sha256>``: the bytes of every document, once per content.

The ZIP members carry a fixed timestamp; the ZIP differs between two exports only in the manifest's
``created_at``.

Version snapshots keep their content; only the ids in them are translated: the ids of the agreement's sections,
goals and offers become their archive references (and the new rows' ids on import), so a redline still follows
an item across versions and against the current text. An id of an item that no longer exists becomes
``<kind>-gone-<n>`` in the archive and ``-n`` in the importing database (negative: it can never be mistaken
for a real row). Party ids in snapshots become party keys and back.

Import rules
------------
- The archive is not trusted. Before anything is written: every ZIP entry must be a plain file at a plain relative
  path (links, directories, absolute paths and ``..`` are refused); the sizes the ZIP declares must stay within
  the limits (a document: ``UPLOAD_MAX_BYTES``, agreement.json: ``MAX_AGREEMENT_JSON_SIZE``, all together:
  ``MAX_TOTAL_SIZE``), and members are read in chunks that stop at the declared size, so a zip bomb or a lying
  header never gets further; the manifest and agreement.json must match their JSON Schemas (``schema/*.json``,
  Draft 2020-12; a mismatch is refused naming the record and the field), and every file's SHA-256 is checked (a
  tampered or damaged archive is refused naming the member); every document's bytes pass the upload checks
  (``uploads.inspect_upload``: type by content, PDF/DOCX/ODT only) and must be of the stated type; a reference,
  number or key that identifies a row may occur only once, and so may a key within one JSON object.
- Reference data must exist: parties (by key), legal bases (by citation) and § 48a indicators (by code) are
  maintained by ``load_reference``; missing ones are listed and the import is refused. A party key stands for the
  local party only if the archive's own description of it (``context.parties``: name and kind) matches; otherwise
  the operator maps it explicitly (``party_map``, ``--map-party``), to a party of the same kind. Topics,
  departments, people, committees and meetings are the agreement's own context: found by natural key or created.
- User names belong to the source system and are never looked up here by themselves: a user field is bound to a
  local account only when the operator maps the name (``user_map``, ``--map-user name=local``); otherwise it stays
  empty and the name is kept as text (``ArchivedUserName``), and a later export writes it again.
- An agreement with the same title, year and parties refuses the import; ``as_copy`` imports it anyway with
  " (Import)" appended to the title (" (Import 2)", … if that exists too). A Vorlage whose number exists is
  refused as well; with ``as_copy`` it gets the next free running number of its department and year.
- Predecessor, amended agreement and related agreements are linked when exactly one agreement with that title
  and year exists; otherwise the link stays empty and the import says so.
- Everything is written in one transaction, content first and the final statuses last (the write guards of
  signed agreements and released Vorlagen hold throughout); files are stored through ``Document.file.save``
  under new generated names. ``created`` timestamps are restored (versions keep their own: they are immutable).
- A field added after archives of this format version were written (``ADDED_LATER``) may be missing: it takes the
  model's default. A goal of such an archive whose target value lies outside its corridor gets the note that it
  was saved without a reason (as migration 0013 gives stored goals); the corridor rule (``Goal.clean``) is checked
  for every goal and a breach is refused naming the goal.
- ``dry_run`` runs the whole import, writes no file and rolls the transaction back.
"""

from agreements.transfer.archive.export import (
    ExportResult,
    agreement_data,
    agreement_json,
    export_archive,
    write_archive,
)
from agreements.transfer.archive.format import (
    ADDED_LATER,
    AGREEMENT_JSON,
    COPY_SUFFIX,
    FIELDS,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    ZIP_FILE_MODE,
    ZIP_TIMESTAMP,
    ArchiveError,
)
from agreements.transfer.archive.importer import ImportResult, import_archive, read_archive_data
from agreements.transfer.archive.verify import verify_archive

__all__ = [
    "ADDED_LATER", "AGREEMENT_JSON", "ArchiveError", "COPY_SUFFIX", "FIELDS", "FORMAT_NAME", "FORMAT_VERSION",
    "MANIFEST", "ZIP_FILE_MODE", "ZIP_TIMESTAMP", "ExportResult", "ImportResult", "agreement_data", "agreement_json",
    "export_archive", "import_archive", "read_archive_data", "verify_archive", "write_archive",
]

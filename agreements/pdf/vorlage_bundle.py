"""A Vorlage's Gesamtdokument: the one path the web, export_vorlage and the release step take, and its name.

The merge itself is agreements/pdf/bundle.py; here is what a Vorlage puts into it: its metadata, its Anlagen in
order (each stored file checked against its SHA-256, agreements/infra/files.py), and the input-hash cache key
that covers all of it, so an unchanged Gesamtdokument is built once. The Vorlage's own PDF is its stored main
file once released (services/stored_pdfs.py stores it, once) or the current rendering of a draft.
"""

from django.utils import translation
from django.utils.translation import gettext

from agreements.infra.files import MISSING, FileRefused, read_document

from . import bundle
from . import vorlage as vorlage_pdf
from .cache import cached_pdf

# Part of every cache key: bump it when the bundle changes in a way its inputs do not show.
BUNDLE_CACHE_VERSION = "vorlage-bundle-1"
BUNDLE_SUFFIX = "-mit-Anlagen"


def bundle_filename(vorlage):
    """'Vorlage-50-015-2012-mit-Anlagen.pdf', for the web's download and export_vorlage's file alike."""
    return vorlage_pdf.pdf_filename(vorlage, BUNDLE_SUFFIX)


def bundle_meta(vorlage):
    """Title, author, description and the Vorlage's entry in the table of contents, in German."""
    with translation.override("de"):
        return {
            "title": gettext("%(title)s (mit Anlagen)") % {"title": vorlage_pdf.pdf_title(vorlage)},
            "author": vorlage_pdf.pdf_author(vorlage),
            "description": vorlage_pdf.pdf_description(vorlage),
            "vorlage_label": f"Vorlage {vorlage.reference}",
        }


def read_part(document, name):
    """A stored part's bytes, checked against its SHA-256; a BundleError names the part otherwise."""
    try:
        return read_document(document)
    except FileRefused as refused:
        # A changed file is not what was checked and listed: to the reader of the bundle it is damaged.
        bundle.fail(name, "missing" if refused.reason == MISSING else "damaged")


def anlagen_files(vorlage):
    """[(title, checked bytes or None)] of the Anlagen in order; None for an Anlage without a file."""
    result = []
    with translation.override("de"):
        for number, anlage in enumerate(vorlage.anlagen.all(), start=1):
            data = read_part(anlage.document, bundle.anlage_name(number, anlage.title)) if anlage.document_id \
                else None
            result.append((anlage.title, data))
    return result


def anlagen_key(vorlage):
    return [(a.title, a.document.sha256 if a.document_id else "") for a in vorlage.anlagen.all()]


def bundle_key(vorlage, vorlage_sha256):
    """The cache key parts: everything the Gesamtdokument is made of, by hash."""
    return [BUNDLE_CACHE_VERSION, vorlage.reference, vorlage_sha256, repr(anlagen_key(vorlage)),
            repr(sorted(bundle_meta(vorlage).items()))]


def vorlage_part(vorlage):
    """(sha256, read): the Vorlage's own PDF, the stored main file if there is one (read() checks it), else the
    current rendering (drafts, through the input-hash cache)."""
    main = vorlage.main_file if vorlage.main_file_id else None
    if main is not None:
        with translation.override("de"):
            label = gettext("Die Vorlage")
        return main.sha256, lambda: read_part(main, label)
    rendered = vorlage_pdf.render_vorlage(vorlage)
    return rendered.sha256, lambda: rendered.content


def build_vorlage_bundle(vorlage, content=None) -> bundle.BundleResult:
    """The Gesamtdokument of the Vorlage (from vorlage_queryset), not cached. content: the Vorlage's own PDF
    (the release step's fresh rendering); default: vorlage_part's."""
    if content is None:
        content = vorlage_part(vorlage)[1]()
    return bundle.build_bundle(content, anlagen_files(vorlage), **bundle_meta(vorlage))


def cached_bundle(vorlage):
    """The Gesamtdokument's bytes, from the cache or built; raises BundleError naming the part, TamperedFile for a
    cache entry changed on disk. vorlage: from vorlage_queryset(), its main file stored if it was released."""
    sha256, read = vorlage_part(vorlage)
    return cached_pdf(bundle_key(vorlage, sha256), lambda: build_vorlage_bundle(vorlage, read()).content)


def remember_bundle(vorlage, vorlage_sha256, content):
    """Put a Gesamtdokument built elsewhere (the release step) into the cache, so its first download is quick."""
    cached_pdf(bundle_key(vorlage, vorlage_sha256), lambda: content)

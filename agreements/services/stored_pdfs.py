"""PDFs rendered once and stored for good, and the Vorlage's files that rest on them.

A released Vorlage and a signed agreement are rendered once and stored as Documents with their SHA-256
(store_generated_pdf); they are never regenerated. The Vorlage's Gesamtdokument is built from the stored main
file and the stored Anlagen (agreements/pdf/vorlage_bundle.py) and kept in the input-hash cache. The web's
download and `manage.py export_vorlage` both take vorlage_bundle_pdf, so they hand out the same file under the
same name (vorlage_bundle.bundle_filename).
"""

from django.core.files.base import ContentFile
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from agreements.policy import vorlage_access
from agreements.services.base import commit_with_pdf

from .. import models as m


def store_generated_pdf(rendered, *, title, kind, filename, agreement=None, user=None, signed=False):
    """Store a generated PDF/A as a Document with its SHA-256; the file goes if the database write fails.
    signed: it carries PAdES signatures, which every download checks. A title longer than the field (one naming a
    long agreement title) is shortened with "…"."""
    document = m.Document(
        title=Truncator(str(title)).chars(m.Document._meta.get_field("title").max_length),
        kind=kind, original_filename=filename, size=rendered.size, content_type="application/pdf",
        sha256=rendered.sha256, is_pdfa=True, is_signed=signed, agreement=agreement, uploaded_by=user,
    )
    document.file.save("generated.pdf", ContentFile(rendered.content), save=False)
    try:
        document.save()
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document


def stored_pdf(vorlage):
    """The released Vorlage's main file; a Vorlage released before PDFs were stored (imported data) gets its
    PDF rendered now (with no row lock held) and stored, once. None for a Vorlage that was never released."""
    if vorlage.main_file_id or not vorlage_access.was_released(vorlage):
        return vorlage.main_file
    from ..pdf.render import pdf_from_html
    from ..pdf.vorlage import pdf_filename, vorlage_html

    def prepare():
        locked = m.Vorlage.objects.select_for_update(of=("self",)).select_related("main_file").get(pk=vorlage.pk)
        if locked.main_file_id is not None:
            return None, locked  # stored meanwhile by somebody else: nothing to build
        return vorlage_html(locked, draft=False), locked

    def build(html, _locked):
        return pdf_from_html(html) if html is not None else None

    def commit(locked, rendered):
        if locked.main_file_id is None:
            document = store_generated_pdf(
                rendered, kind=m.Document.Kind.VORLAGE, filename=pdf_filename(locked),
                title=_("Vorlage %(reference)s (freigegebene Fassung)") % {"reference": locked.reference},
            )
            try:
                locked.main_file = document
                locked.save(update_fields=["main_file", "modified"])
            except BaseException:
                document.file.storage.delete(document.file.name)
                raise
        return locked.main_file

    vorlage.main_file = commit_with_pdf(
        prepare=prepare, build=build, commit=commit,
        failure=_("Das PDF der Vorlage konnte nicht erzeugt werden. Bitte versuchen Sie es erneut oder wenden Sie "
                  "sich an die Administration."),
    )
    return vorlage.main_file


def _with_stored_pdf(vorlage):
    from ..pdf.vorlage import vorlage_queryset

    full = vorlage_queryset().get(pk=vorlage.pk)
    stored_pdf(full)
    return full


def vorlage_pdf_bytes(vorlage):
    """The Vorlage's PDF: the stored main file once released (checked, never rendered again), else a rendering.
    Raises BundleError when the stored file is missing or changed."""
    from ..pdf.vorlage_bundle import vorlage_part

    _sha256, read = vorlage_part(_with_stored_pdf(vorlage))
    return read()


def vorlage_bundle_pdf(vorlage):
    """The Gesamtdokument's bytes; cached by the hashes of its inputs. Raises BundleError naming the part.

    Released: the stored main file (checked against its SHA-256) with the Anlagen. Draft: the current rendering.
    """
    from ..pdf.vorlage_bundle import cached_bundle

    return cached_bundle(_with_stored_pdf(vorlage))

"""The electronic signatures of an agreement: the validation page and the signature receipt (PDF/A).

Both validate the stored file now, against the installation's trust anchors (services.signing.check): what the
page shows is what the file proves today, not what the database remembers.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.infra import files
from agreements.policy import access
from agreements.services import signing

from .. import models as m
from .base import Routes, agreement_context, read_only
from .documents import send_file

urlpatterns = Routes()

COVERAGE = {
    "ENTIRE_FILE": _("die ganze Datei"),
    "ENTIRE_REVISION": _("die Datei bis zu dieser Unterschrift; danach nur Nachträge"),
    "CONTIGUOUS_BLOCK_FROM_START": _("nur einen Teil der Datei"),
    "UNCLEAR": _("unklar"),
}
MODIFICATIONS = {
    None: _("keine"),
    "NONE": _("keine"),
    "LTA_UPDATES": _("nur Validierungsdaten und Zeitstempel"),
    "FORM_FILLING": _("nur weitere Unterschriften (erlaubt)"),
    "ANNOTATIONS": _("Anmerkungen"),
    "OTHER": _("Änderungen am Inhalt"),
}
CERTIFICATION = {
    "NO_CHANGES": _("zertifiziert: keine Änderungen erlaubt"),
    "FILL_FORMS": _("zertifiziert: nur weitere Unterschriften erlaubt"),
    "ANNOTATE": _("zertifiziert: Unterschriften und Anmerkungen erlaubt"),
}


def _signed_file(agreement):
    """The newest electronically signed file of the agreement: the signed agreement, or while parties are still
    missing the file the last of them signed. 404 for an agreement without electronic signature."""
    if agreement.signed_file is not None and agreement.signed_file.is_signed:
        return agreement.signed_file
    sealed = [s for s in agreement.signatures.all() if s.method == m.Signature.Method.PADES and s.document_id]
    if not sealed:
        raise Http404(_("Diese Zielvereinbarung ist nicht elektronisch unterzeichnet."))
    return max(sealed, key=lambda s: s.pk).document


def _rows(agreement, verdict, receipt):
    """One row per signature and document timestamp, with the record of who signed and the hashes."""
    names = {signing.field_name(s.party): s for s in agreement.signatures.all()}
    hashes = {r.field_name: r for r in receipt}
    return [{
        "report": r,
        "signature": names.get(r.field_name),
        "receipt": hashes.get(r.field_name),
        "holds": r.intact and r.valid and r.docmdp_ok is not False,
        "coverage": COVERAGE.get(r.coverage, r.coverage),
        "modifications": MODIFICATIONS.get(r.modification_level, r.modification_level),
        "certification": CERTIFICATION.get(r.certification, "") if r.certification else "",
    } for r in verdict.reports]


def signature_report(agreement):
    """What the validation page and the receipt show: the file, the verdict, a row per signature, the anchors."""
    from agreements.signing import validation

    document = _signed_file(agreement)
    content = files.read_document(document)  # FileRefused for a missing or changed file
    expected = sum(1 for s in agreement.signatures.all() if s.method == m.Signature.Method.PADES)
    verdict = signing.check(content, expected=expected)
    return {
        "document": document,
        "verdict": verdict,
        "rows": _rows(agreement, verdict, validation.receipt_rows(content)),
        "anchors": list(m.TrustAnchor.objects.filter(is_active=True).order_by("name")),
        "checked_at": timezone.now(),
        "complete": agreement.signed_file_id == document.pk,
    }


def _agreement(request, pk):
    return access.agreement_for(request.user, pk, queryset=m.Agreement.objects.select_related("signed_file")
                                .prefetch_related(Prefetch("signatures", queryset=m.Signature.objects
                                                           .select_related("party", "document")),
                                                  "agreement_parties__party"))


@urlpatterns.route("vereinbarungen/<int:pk>/signaturpruefung/")
def agreement_signature_check(request, pk):
    agreement = _agreement(request, pk)
    if refused := read_only(request):
        return refused
    try:
        report = signature_report(agreement)
    except files.FileRefused as refused:
        report = {"refused": refused.message}
    return render(request, "agreements/signature_check.html",
                  agreement_context(request, agreement, "agreement_detail", **report))


@urlpatterns.route("vereinbarungen/<int:pk>/signaturprotokoll.pdf")
def agreement_signature_receipt(request, pk):
    """The signature receipt as PDF/A (German, as every record): rendered now, from the validation of now."""
    agreement = _agreement(request, pk)
    if refused := read_only(request):
        return refused

    def serve():
        from agreements.pdf.render import render_pdf

        report = signature_report(agreement)
        rendered = render_pdf("pdf/signature_receipt.html", {"agreement": agreement, **report})
        return files.file_response(request, rendered.content,
                                   filename=f"Signaturprotokoll-{agreement.year}-{agreement.pk}.pdf", inline=False)

    return send_file(request, serve)

"""The signed agreement as PDF/A-3a: rendered once when the last party signs, then stored and never again."""

from django.db.models import Prefetch

from .. import models as m
from .render import pdf_from_html, render_html


def agreement_context(agreement, pending_signature=None, *, electronic=False):
    """The stored agreement; pending_signature, an unsaved Signature, is printed as if it were saved (the last
    signature is rendered before it is committed, see services.lifecycle.sign). electronic: the file to be signed
    with PAdES, frozen before the first signature; its signature block names the parties in their order."""
    agreement = (
        m.Agreement.objects.filter(pk=agreement.pk)
        .prefetch_related(
            Prefetch("agreement_parties", queryset=m.AgreementParty.objects.select_related("party")),
            "legal_bases",
            "sections",
            Prefetch("goals", queryset=m.Goal.objects.select_related("indicator")),
            Prefetch("offers", queryset=m.SupportOffer.objects.select_related("topic", "provider",
                                                                              "coordinated_with")),
            Prefetch("statements", queryset=m.Statement.objects.filter(include_as_annex=True).select_related("party"),
                     to_attr="annex_statements"),
            Prefetch("signatures", queryset=m.Signature.objects.select_related("party", "person")),
        )
        .get()
    )
    final_version = agreement.versions.filter(kind=m.AgreementVersion.Kind.FINAL).order_by("-number").first()
    signatures = {s.party_id: s for s in agreement.signatures.all()}
    if pending_signature is not None:
        signatures[pending_signature.party_id] = pending_signature
    return {
        "agreement": agreement,
        "parties": list(agreement.agreement_parties.all()),
        "state_goals": [g for g in agreement.goals.all() if g.level == m.Goal.Level.STATE],
        "local_goals": [g for g in agreement.goals.all() if g.level == m.Goal.Level.LOCAL],
        "offers": list(agreement.offers.all()),
        "statements": agreement.annex_statements,
        "signature_rows": [(ap, signatures.get(ap.party_id)) for ap in agreement.agreement_parties.all()],
        "final_version": final_version,
        "electronic": electronic,
    }


def agreement_html(agreement, pending_signature=None, *, electronic=False):
    return render_html("pdf/agreement.html", agreement_context(agreement, pending_signature, electronic=electronic))


def render_agreement(agreement):
    return pdf_from_html(agreement_html(agreement))

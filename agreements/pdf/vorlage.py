"""The committee paper (Vorlage) as PDF/A-3a, laid out like the Kreis Mettmann's Vorlage 50/015/2012.

`render_vorlage` is the one way to produce a Vorlage's PDF: the release step stores its result once (with
its SHA-256) as the Vorlage's main file; drafts go through the input-hash cache (agreements/pdf/cache.py), so
a preview of an unchanged draft is not rendered twice.

Every PDF of a Vorlage that was never released carries the draft mark: "ENTWURF" in the header of every page and,
on the first page, "Entwurf – nicht freigegeben, Stand <Datum, Uhrzeit>", so that a printed draft never passes for
the released paper. The release step renders the paper it releases (still a draft in the database) with
draft=False; that rendering is stored, never cached, so no draft rendering is ever served as the released one.
"""

import hashlib
import re
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from agreements.models import Consultation, Impact, Vorlage, VorlageAnlage, VorlageSection
from agreements.text.entries import PAPER_LANGUAGE

from . import cache
from .render import PDF_VARIANT, RenderedPdf, html_to_pdf, pdf_from_html, render_html

TEMPLATE_NAME = "pdf/vorlage.html"
# Part of every cache key: bump it when the rendering changes in a way the HTML does not show
# (e.g. renderer options), so no draft is served from an outdated cache entry.
RENDER_VERSION = "vorlage-2"

# Where the draft's "Stand" goes into the HTML: the cache key is taken over the HTML with this slot, the PDF is
# built with the time filled in. A raw comment, so no user text (always escaped) can ever produce it.
STAND_SLOT = mark_safe("<!--draft-stand-->")


def stylesheet_path():
    return Path(settings.BASE_DIR) / "static" / "css" / "pdf.css"


def pdf_stylesheet():
    """The print stylesheet's text, inlined into the HTML so that a hash of the HTML covers it too.

    It is our own static file, never user input; that is why it may be marked safe.
    """
    return mark_safe(stylesheet_path().read_text(encoding="utf-8"))


def vorlage_queryset():
    """A Vorlage with everything the PDF shows: 4 queries, whatever the number of rows."""
    return Vorlage.objects.select_related("department", "department__party", "author", "main_file").prefetch_related(
        Prefetch(
            "consultations",
            queryset=Consultation.objects.select_related("committee", "meeting").order_by("order", "id"),
        ),
        Prefetch("sections", queryset=VorlageSection.objects.order_by("order", "id")),
        Prefetch("anlagen", queryset=VorlageAnlage.objects.select_related("document").order_by("order", "id")),
    )


def single_line(text):
    return " ".join((text or "").split())


def pdf_title(vorlage):
    return f"Vorlage {vorlage.reference}: {single_line(vorlage.name)}"


def pdf_author(vorlage):
    """'Frau Ulrike Gansauer, Fachbereich 50 Sozialamt'."""
    department = vorlage.department
    return f"{vorlage.author.full_name}, Fachbereich {department.number} {department.name}"


def pdf_description(vorlage):
    department = vorlage.department
    visibility = "öffentlich" if vorlage.public else "nichtöffentlich"
    return (
        f"{vorlage.get_paper_type_display()} {vorlage.reference} ({visibility}) des Fachbereichs "
        f"{department.number} {department.name}, {department.party.name}, vom {vorlage.date:%d.%m.%Y}"
    )


def pdf_filename(vorlage, suffix=""):
    """'Vorlage-50-015-2012.pdf' (and with the suffix of vorlage_bundle.bundle_filename for the Gesamtdokument):
    the one name of a Vorlage's files, on the web, in export_vorlage and as the stored PDF's original name.

    The reference's slashes would be directories, so every run of characters other than letters and digits
    becomes one "-"; letters stay as they are (an umlaut too: the Content-Disposition carries it in filename*,
    with an ASCII fallback).
    """
    stem = re.sub(r"[\W_]+", "-", vorlage.reference).strip("-")
    return f"Vorlage-{stem}{suffix}.pdf"


def _consultation_date(consultation):
    if consultation.meeting_date:
        return consultation.meeting_date
    if consultation.meeting_id and consultation.meeting.start:
        return timezone.localdate(consultation.meeting.start)
    return None


def _impacts(vorlage):
    rows = (
        ("financial_impact", vorlage.financial_impact, vorlage.financial_impact_text),
        ("personnel_impact", vorlage.personnel_impact, vorlage.personnel_impact_text),
        ("organisational_impact", vorlage.organisational_impact, vorlage.organisational_impact_text),
    )
    return [
        {
            "label": str(Vorlage._meta.get_field(name).verbose_name),
            "options": [{"label": str(choice.label), "chosen": value == choice.value} for choice in Impact],
            # The explanation belongs to a "ja" only; a leftover text of an earlier "ja" is not printed.
            "text": text if value == Impact.YES else "",
        }
        for name, value, text in rows
    ]


def is_draft(vorlage):
    """Printed with the draft mark: a Vorlage that was never released (a draft, or one withdrawn as a draft)."""
    return not (vorlage.status in Vorlage.FROZEN_STATUSES and vorlage.released_at is not None)


def stand_text(moment):
    """The draft's "Stand", in German whatever the reader's language: '14.05.2013, 10:00 Uhr'."""
    local = timezone.localtime(moment)
    return f"{local:%d.%m.%Y}, {local:%H:%M} Uhr"


def fill_stand(html, moment=None):
    """The HTML with the draft's Stand (now, by default) in its slot; HTML without the slot stays as it is."""
    if STAND_SLOT not in html:
        return html
    return html.replace(STAND_SLOT, stand_text(moment or timezone.now()))


def vorlage_context(vorlage, language=PAPER_LANGUAGE, *, draft=None):
    """Template context of templates/pdf/vorlage.html, read fresh from the database (4 queries).

    The stored state is what gets printed: a caller holding an unsaved, edited instance gets the saved one.
    The paper is German whatever the language of the request that asks for it; the reading view asks for its
    labels and choices in the reader's language (`language` None), around the paper's German text.
    draft: print the draft mark (None: when the Vorlage was never released, is_draft); its Stand is the slot
    STAND_SLOT, filled in by fill_stand.
    """
    vorlage = vorlage_queryset().get(pk=vorlage.pk)
    if draft is None:
        draft = is_draft(vorlage)
    if language is None:
        return _context(vorlage, draft)
    with translation.override(language):
        return _context(vorlage, draft)


def _context(vorlage, draft):
    return {
        "vorlage": vorlage,
        "draft_mark": draft,
        "draft_stand": STAND_SLOT if draft else "",
        "decision_types": [
            {"label": str(choice.label), "chosen": vorlage.decision_type == choice.value}
            for choice in Vorlage.DecisionType
        ],
        "consultations": [
            {
                "committee": consultation.committee.name,
                "date": _consultation_date(consultation),
                "role": consultation.get_role_display(),
            }
            for consultation in vorlage.consultations.all()
        ],
        # Lines of the title; the whitespace after each <br> keeps the bookmark's words apart.
        "name_lines": [line.strip() for line in vorlage.name.splitlines() if line.strip()],
        "impacts": _impacts(vorlage),
        "sections": list(vorlage.sections.all()),
        "anlagen": list(vorlage.anlagen.all()),
        "pdf_title": pdf_title(vorlage),
        "pdf_author": pdf_author(vorlage),
        "pdf_description": pdf_description(vorlage),
        "pdf_css": pdf_stylesheet(),
    }


def cache_key_parts(html, *, draft=True):
    """Everything the PDF depends on: the HTML (which contains the stylesheet and the draft mark, its Stand as
    STAND_SLOT) and the renderer. The draft mark is named as well: a draft rendering and an unmarked one never
    share an entry, whatever the HTML."""
    import weasyprint

    return [RENDER_VERSION, PDF_VARIANT, f"weasyprint {weasyprint.__version__}", "draft" if draft else "final",
            html]


def is_cacheable(vorlage):
    # Released papers are rendered once and stored with their SHA-256 by the release step; caching them
    # here as well would keep a second, unaccounted copy.
    return vorlage.status not in Vorlage.FROZEN_STATUSES


def vorlage_html(vorlage, *, draft=None):
    """The HTML the Vorlage's PDF is made of, from the stored state (the fast half of rendering).

    draft: as vorlage_context; the release step passes False, as the paper it renders is the released one."""
    return fill_stand(render_html(TEMPLATE_NAME, vorlage_context(vorlage, draft=draft)))


def render_vorlage(vorlage, *, use_cache=None, draft=None) -> RenderedPdf:
    """The Vorlage as PDF/A-3a. use_cache: None = cache drafts only; True/False force it. draft: as
    vorlage_context.

    A draft's Stand is the moment it was rendered: the cache key leaves it out, so an unchanged draft is served
    as first rendered, Stand included (the text was already this at that moment), and any change renders anew.
    """
    context = vorlage_context(vorlage, draft=draft)
    html = render_html(TEMPLATE_NAME, context)
    if use_cache is None:
        use_cache = is_cacheable(context["vorlage"])
    if not use_cache:
        return pdf_from_html(fill_stand(html))
    content = cache.cached_pdf(cache_key_parts(html, draft=context["draft_mark"]),
                               lambda: html_to_pdf(fill_stand(html)))
    # The HTML the key was taken from (a draft's Stand as its slot): a cached PDF may carry an earlier Stand.
    return RenderedPdf(content=content, sha256=hashlib.sha256(content).hexdigest(), html=html)

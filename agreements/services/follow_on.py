"""The follow-on agreement (Folgevereinbarung) and its checklist of copied passages.

Deriving next year's agreement (lifecycle.derive, kind "next_year") copies last year's text and moves every year
reference that follows the agreement's year (agreements.text.years: "im Jahr 2012" → "im Jahr 2013", "Referenzwert
2011" → "Referenzwert 2012"; "am 25.01.2012", "seit 2011" stay); the period becomes the new year. The Kreis–Jobcenter
mirror (kind "jobcenter") copies the text of the same year unchanged.

Either way every copied passage (title, preamble, further legal bases, each section, goal and offer) goes on the
checklist (CopiedPassage) with the references the copy moved or kept, and the party am Zug reviews each one before
the first Fassung is sent: the "send" guard of services.transitions.AGREEMENT refuses while one is open, and says
where the checklist is.
"""

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import DomainError
from agreements.text import years

from .. import models as m
from .base import record_language, record_step
from .transitions import AGREEMENT, open_copied_passages, party_name

K = m.CopiedPassage.Kind


def next_period(agreement):
    """The follow-on's period: the agreement's moved by a year, or the whole new year where it has none."""
    if agreement.period_start is None and agreement.period_end is None:
        return years.default_period(agreement.year + 1)
    return _next_year(agreement.period_start), _next_year(agreement.period_end)


def _next_year(date):
    if date is None:
        return None
    try:
        return date.replace(year=date.year + 1)
    except ValueError:  # 29 February
        return date.replace(year=date.year + 1, day=28)


def _period(agreement):
    return agreement.period_start, agreement.period_end


def next_title(agreement):
    """The follow-on's title: the year in it moved, or the new year added where the title names none."""
    shifted = years.shift(agreement.title, agreement.year, period=_period(agreement))
    if shifted.replacements:
        return shifted.text
    with record_language():
        return str(_("%(title)s (%(year)s)") % {"title": agreement.title, "year": agreement.year + 1})[:300]


class _Checklist:
    """Builds the passages of one derived agreement, in the order the agreement shows them."""

    def __init__(self, source, target, shift):
        self.source, self.target, self.shift = source, target, shift
        self.passages = []
        self.moved = 0

    def copy(self, fields):
        """The fields [(name, text)] as the follow-on holds them, and the year references found in them."""
        content, references, texts = [], [], {}
        for name, text in fields:
            if self.shift:
                result = years.shift(text, self.source.year, period=_period(self.source))
                text = result.text
                references += [dict(r.as_dict(), field=name) for r in result.references]
                self.moved += len(result.replacements)
            content.append({"field": name, "text": text})
            texts[name] = text
        return content, references, texts

    def add(self, kind, fields, *, labelled=False, **item):
        """A passage of the fields [(name, text)]; `labelled`: the first field (a heading, a title) names it."""
        content, references, texts = self.copy(fields)
        if not any(text for text in texts.values()):
            return texts  # nothing was copied
        self.passages.append(m.CopiedPassage(
            agreement=self.target, kind=kind, label=content[0]["text"][:300] if labelled else "", content=content,
            year_references=references, order=len(self.passages) + 1, **item,
        ))
        return texts

    def items(self, kind, rows, fields, item):
        """Each section, goal or offer: the copy's texts set to the shifted ones (saved in one go)."""
        changed = []
        for row in rows:
            texts = self.add(kind, [(name, getattr(row, name)) for name in fields], labelled=True, **{item: row})
            if any(getattr(row, name) != texts.get(name, getattr(row, name)) for name in fields):
                for name, text in texts.items():
                    setattr(row, name, text)
                changed.append(row)
        if changed:
            type(changed[0]).objects.bulk_update(changed, list(fields))


def list_copied_passages(source, target, *, shift):
    """Inside derive's transaction, after the content was copied to `target`: move the year references of the
    copied texts when `shift` (next year's agreement) and put every copied passage on the checklist. Returns what
    the timeline records: {"passages": count, "moved": year references moved}."""
    checklist = _Checklist(source, target, shift)
    if shift:
        # The title was made by next_title(); the checklist shows it with the references it moved.
        content, references, _texts = checklist.copy([("title", source.title)])
        content[0]["text"] = target.title
        checklist.passages.append(m.CopiedPassage(
            agreement=target, kind=K.TITLE, content=content, year_references=references, order=1,
        ))
    header = checklist.add(K.PREAMBLE, [("preamble", source.preamble)])
    note = checklist.add(K.LEGAL_BASIS_NOTE, [("legal_basis_note", source.legal_basis_note)])
    if (target.preamble, target.legal_basis_note) != (header["preamble"], note["legal_basis_note"]):
        target.preamble, target.legal_basis_note = header["preamble"], note["legal_basis_note"]
        target.save(update_fields=["preamble", "legal_basis_note", "modified"])
    checklist.items(K.SECTION, target.sections.order_by("order", "id"), ("heading", "text"), "section")
    checklist.items(K.GOAL, target.goals.order_by("order", "id"), ("title", "text"), "goal")
    checklist.items(K.OFFER, target.offers.order_by("topic__number", "order", "id"), ("title", "text"), "offer")
    m.CopiedPassage.objects.bulk_create(checklist.passages)
    return {"passages": len(checklist.passages), "moved": checklist.moved}


def passage_annotations():
    """The checklist's state as annotations of an agreement query (no query of its own): `copied_passage_count`
    and `open_passage_count`; the "send" guard reads the latter where a page annotated it."""
    passages = m.CopiedPassage.objects.filter(agreement=OuterRef("pk")).order_by().values("agreement")

    def count(queryset):
        return Coalesce(Subquery(queryset.annotate(n=Count("pk")).values("n")), 0)

    return {"copied_passage_count": count(passages),
            "open_passage_count": count(passages.filter(reviewed_at__isnull=True))}


def review_passages(*, user, agreement, passage_ids):
    """The party am Zug marks copied passages as reviewed. Passages reviewed before are left as they are (a form
    sent twice changes nothing the second time). Returns the number of passages newly marked."""
    try:
        ids = {int(pk) for pk in passage_ids}
    except (TypeError, ValueError):
        raise DomainError(_("Unbekannte Passage.")) from None
    if not ids:
        raise DomainError(_("Wählen Sie mindestens eine Passage aus, die Sie geprüft haben."))
    with transaction.atomic():
        # Permission, row lock, then the state: only the party am Zug works on the text while it is open.
        agreement = AGREEMENT.enter(user, agreement, "write")
        passages = list(agreement.copied_passages.filter(pk__in=ids))
        if len(passages) != len(ids):
            raise DomainError(_("Eine der gewählten Passagen gehört nicht zu dieser Zielvereinbarung."))
        newly = [p.pk for p in passages if p.reviewed_at is None]
        if not newly:
            return 0
        now = timezone.now()
        m.CopiedPassage.objects.filter(pk__in=newly).update(reviewed_by=user, reviewed_at=now, modified=now)
        record_step(agreement, kind=m.ProcedureStep.Kind.OTHER, user=user, action="follow_on.reviewed", data={
            "party": party_name(agreement.pen_holder_id()), "user": user.get_full_name() or user.get_username(),
            "count": len(newly), "open": open_copied_passages(agreement),
        })
    return len(newly)

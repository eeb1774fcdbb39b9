"""The draft of a Vorlage written from an agreement: its facts (services/vorlage_facts) phrased in German prose
(text/vorlage)."""

from agreements.text import vorlage as text

from .documents import MAX_TITLE
from .vorlage_facts import gather


def draft_from_agreement(agreement, *, department, date):
    """The pre-filled texts of a Vorlage on the agreement: {name, occasion, sections, conclusion, anlagen}, the
    Anlagen as (title, Document)."""
    draft = text.draft(gather(agreement, department=department), date)
    draft["anlagen"] = [(title[:MAX_TITLE], document) for title, document in draft["anlagen"]]
    return draft

"""Full-text search: keeping the index (SearchEntry) current, and querying it with the pages' access rules.

Indexing: one SearchEntry per agreement, goal, support offer, procedure step, proposal, statement, letter,
Vorlage and document, written by the post_save / post_delete receivers below (an upsert plus one UPDATE per save)
and rebuilt in bulk by `manage.py rebuild_search_index`. Writes that bypass signals (bulk_create,
QuerySet.update) are caught where it matters: a new agreement or Vorlage is re-indexed with everything attached
to it when its transaction commits, because the services bulk-create the copied sections and goals right after
creating it. Anything
else is repaired by the rebuild command.

Querying: `search()` has the same interface on both databases. PostgreSQL uses the tsvector ('german'
configuration: stemming, stop words) with ranking and ts_headline snippets; SQLite falls back to "every word
occurs in title or body". Access is decided in the query itself, before counting, so an outsider never learns
that a hit exists.
"""

import functools
import logging
import operator
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.signals import post_delete, post_save
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from agreements import models as m
from agreements.policy import access, vorlage_access
from agreements.text import entries

logger = logging.getLogger(__name__)

Kind = m.SearchEntry.Kind

MAX_QUERY_LENGTH = 200
# The SQLite fallback turns every word into LIKE clauses; old SQLite builds allow only 999 parameters.
MAX_FALLBACK_TERMS = 10
# A tsvector must stay below 1 MB, and ts_headline reads the whole body of every hit on the page.
MAX_BODY = 200_000
MAX_TITLE = m.SearchEntry._meta.get_field("title").max_length
# Text extraction reads at most this many pages: enough for any committee paper, bounded for a 2,000-page scan.
MAX_PDF_PAGES = 500
PDF = "application/pdf"

# ts_headline marks hits with these; the body never contains them (see _clean), so after escaping the snippet
# they are the only places that become <mark> tags. Private-use characters: no real text is made of them.
START_SEL = "\ue000"
STOP_SEL = "\ue001"
_UNSAFE_CHARS = re.compile("[\x00\ue000\ue001]")


# Text extraction -------------------------------------------------------------------------------------------------


def extract_text(document):
    """The text layer of a PDF document ('' for other types, scans without text, and unreadable files).

    Never raises: an upload must not fail because its text cannot be read; it is then found by its title only.
    """
    if document.content_type != PDF or not document.file:
        return ""
    from pypdf import PdfReader

    parts = []
    length = 0
    try:
        with document.file.open("rb") as handle:
            reader = PdfReader(handle)
            if reader.is_encrypted:
                return ""
            for index, page in enumerate(reader.pages):
                if index >= MAX_PDF_PAGES or length >= MAX_BODY:
                    break
                text = page.extract_text() or ""
                parts.append(text)
                length += len(text)
    except Exception:  # Any parser failure means "no text", never a failed upload.
        logger.warning("Kein Text aus Dokument %s lesbar", document.pk, exc_info=True)
        return ""
    return _clean("\n".join(parts))


# Building entries ------------------------------------------------------------------------------------------------


def _clean(text, limit=MAX_BODY):
    """Whitespace collapsed per line, NUL (PostgreSQL rejects it) and the snippet sentinels removed."""
    text = _UNSAFE_CHARS.sub("", str(text or ""))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)[:limit]


def _join(*parts):
    return _clean("\n\n".join(str(p) for p in parts if p))


def _title(text):
    return Truncator(_clean(text, limit=10_000).replace("\n", " ")).chars(MAX_TITLE)


def _document_text(obj):
    return obj.document.extracted_text if obj.document_id else ""


def _agreement(obj):
    sections = obj.sections.all()
    return dict(
        title=_title(obj.title), agreement_id=obj.pk,
        body=_join(obj.preamble, *(f"{s.heading}\n{s.text}" for s in sections)),
    )


def _goal(obj):
    return dict(title=_title(obj.title), body=_join(obj.text), agreement_id=obj.agreement_id)


def _offer(obj):
    return dict(title=_title(obj.title), body=_join(obj.text), agreement_id=obj.agreement_id)


def _step(obj):
    # A recorded step is a typed entry; the index holds its German sentences, as it holds all other text.
    title, description = obj.rendered(entries.PAPER_LANGUAGE)
    return dict(title=_title(title), body=_join(description, obj.participants_note), agreement_id=obj.agreement_id)


def _proposal(obj):
    return dict(title=_title(obj), body=_join(obj.concerns, obj.text, obj.reason), agreement_id=obj.agreement_id)


def _statement(obj):
    return dict(title=_title(obj.title), body=_join(obj.text, _document_text(obj)), agreement_id=obj.agreement_id)


def _letter(obj):
    return dict(title=_title(obj.subject), body=_join(obj.summary, _document_text(obj)),
                agreement_id=obj.agreement_id)


def _vorlage(obj):
    sections = obj.sections.all()
    return dict(
        title=_title(f"{obj.reference} {obj.name}"), vorlage_id=obj.pk, agreement_id=obj.agreement_id,
        body=_join(obj.occasion, *(f"{s.heading}\n{s.text}" for s in sections), obj.conclusion, obj.resolution),
    )


def _document(obj):
    return dict(title=_title(obj.title), body=_join(obj.extracted_text), agreement_id=obj.agreement_id)


@dataclass(frozen=True)
class Source:
    kind: str
    model: type
    build: object
    # A save whose update_fields touch none of these leaves the entry as it is (reordering, status changes).
    fields: frozenset
    select_related: tuple = ()
    prefetch_related: tuple = ()


SOURCES = (
    Source(Kind.AGREEMENT, m.Agreement, _agreement, frozenset({"title", "preamble"}),
           prefetch_related=("sections",)),
    Source(Kind.GOAL, m.Goal, _goal, frozenset({"title", "text", "agreement", "agreement_id"})),
    Source(Kind.OFFER, m.SupportOffer, _offer, frozenset({"title", "text", "agreement", "agreement_id"})),
    Source(Kind.STEP, m.ProcedureStep, _step,
           frozenset({"title", "description", "action", "data", "participants_note", "agreement", "agreement_id"})),
    Source(Kind.PROPOSAL, m.Proposal, _proposal,
           frozenset({"concerns", "text", "reason", "agreement", "agreement_id"})),
    Source(Kind.STATEMENT, m.Statement, _statement,
           frozenset({"title", "text", "document", "document_id", "agreement", "agreement_id"}),
           select_related=("document",)),
    Source(Kind.LETTER, m.Letter, _letter,
           frozenset({"subject", "summary", "document", "document_id", "agreement", "agreement_id"}),
           select_related=("document",)),
    Source(Kind.VORLAGE, m.Vorlage, _vorlage,
           frozenset({"reference", "name", "occasion", "conclusion", "resolution", "agreement", "agreement_id"}),
           prefetch_related=("sections",)),
    Source(Kind.DOCUMENT, m.Document, _document,
           frozenset({"title", "extracted_text", "agreement", "agreement_id"})),
)
SOURCE_BY_MODEL = {source.model: source for source in SOURCES}
SOURCE_BY_KIND = {source.kind: source for source in SOURCES}

UPSERT_FIELDS = ["title", "body", "agreement", "vorlage", "modified"]


def _vector():
    """The tsvector of the stored title and body; a title hit weighs more than a body hit."""
    return SearchVector("title", weight="A", config="german") + SearchVector("body", weight="B", config="german")


def _entry(source, obj):
    return m.SearchEntry(kind=source.kind, object_id=obj.pk, **{"vorlage_id": None, **source.build(obj)})


def _finish(kind, entries, modified):
    """Second step of an upsert: the source's `modified` (auto_now set the time of indexing) and, on
    PostgreSQL, the tsvector computed from the title and body just stored."""
    values = {"modified": modified}
    if connection.vendor == "postgresql":
        values["search_vector"] = _vector()
    m.SearchEntry.objects.filter(kind=kind, object_id__in=[e.object_id for e in entries]).update(**values)


def _upsert(source, entries, modified):
    if not entries:
        return
    m.SearchEntry.objects.bulk_create(
        entries, update_conflicts=True, unique_fields=["kind", "object_id"], update_fields=UPSERT_FIELDS,
    )
    _finish(source.kind, entries, modified)


def index_object(obj):
    """Write the entry of one object (agreement, goal, …): two queries plus what building it reads."""
    source = SOURCE_BY_MODEL[type(obj)]
    _upsert(source, [_entry(source, obj)], obj.modified)


def remove_object(obj):
    source = SOURCE_BY_MODEL[type(obj)]
    m.SearchEntry.objects.filter(kind=source.kind, object_id=obj.pk).delete()


def _source_modified(source):
    return Subquery(source.model.objects.filter(pk=OuterRef("object_id")).values("modified")[:1])


def index_queryset(source, queryset, *, batch_size=500):
    """Index every object of the queryset in batches (keyset pagination); returns how many."""
    queryset = queryset.select_related(*source.select_related).prefetch_related(*source.prefetch_related)
    count = 0
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:batch_size])
        if not batch:
            return count
        with transaction.atomic():
            _upsert(source, [_entry(source, obj) for obj in batch], _source_modified(source))
        count += len(batch)
        last = batch[-1].pk


def reindex_agreement(pk):
    """The agreement and everything attached to it: after services bulk-created its sections and goals."""
    for source in SOURCES:
        if source.model is m.Agreement:
            index_queryset(source, m.Agreement.objects.filter(pk=pk))
        elif source.model is not m.Vorlage:
            index_queryset(source, source.model.objects.filter(agreement_id=pk))


def reindex_vorlage(pk):
    index_queryset(SOURCE_BY_MODEL[m.Vorlage], m.Vorlage.objects.filter(pk=pk))


def fill_missing_text(*, batch_size=100):
    """Extract the text of PDF documents that have none yet (uploaded before extraction existed); returns how
    many documents got text."""
    filled = 0
    last = 0
    while True:
        batch = list(
            m.Document.objects.filter(pk__gt=last, extracted_text="", content_type=PDF).order_by("pk")[:batch_size]
        )
        if not batch:
            return filled
        for document in batch:
            text = extract_text(document)
            if text:
                m.Document.objects.filter(pk=document.pk).update(extracted_text=text)
                filled += 1
        last = batch[-1].pk


def rebuild_index(*, batch_size=500):
    """Index every record and drop entries whose record is gone. Idempotent. Returns {kind: (indexed, removed)}."""
    counts = {}
    for source in SOURCES:
        indexed = index_queryset(source, source.model.objects.all(), batch_size=batch_size)
        removed, _ = (
            m.SearchEntry.objects.filter(kind=source.kind)
            .exclude(object_id__in=source.model.objects.values("pk"))
            .delete()
        )
        counts[source.kind] = (indexed, removed)
    return counts


# Signals ---------------------------------------------------------------------------------------------------------


def _touches(source, update_fields):
    return update_fields is None or bool(source.fields & set(update_fields))


def _saved(sender, instance, created, raw, update_fields, **kwargs):
    if raw:
        return
    source = SOURCE_BY_MODEL[sender]
    if _touches(source, update_fields):
        index_object(instance)
    if created and sender is m.Agreement:
        # Amendments and derived agreements get their sections and goals by bulk_create after this save.
        pk = instance.pk
        transaction.on_commit(lambda: reindex_agreement(pk), robust=True)
    elif created and sender is m.Vorlage:
        pk = instance.pk
        transaction.on_commit(lambda: reindex_vorlage(pk), robust=True)


def _document_saved(sender, instance, created, raw, update_fields, **kwargs):
    if raw:
        return
    extracted = False
    if not instance.extracted_text and instance.content_type == PDF:
        text = extract_text(instance)
        if text:
            # QuerySet.update: a save() here would send post_save again.
            m.Document.objects.filter(pk=instance.pk).update(extracted_text=text)
            instance.extracted_text = text
            extracted = True
    source = SOURCE_BY_MODEL[m.Document]
    if not (extracted or _touches(source, update_fields)):
        return
    index_object(instance)
    if not created:
        # Letters and statements carry their file's text in their own entry.
        for letter in m.Letter.objects.filter(document=instance):
            letter.document = instance
            index_object(letter)
        for statement in m.Statement.objects.filter(document=instance):
            statement.document = instance
            index_object(statement)


def _deleted(sender, instance, **kwargs):
    remove_object(instance)


def _deleted_itself(origin, model):
    """Whether the delete was asked for this model's rows, not a cascade from their agreement or Vorlage
    (whose entries go with it; re-indexing the parent then would write an entry for a row being deleted)."""
    if isinstance(origin, QuerySet):
        return origin.model is model
    return isinstance(origin, model)


def _section_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    if "created" not in kwargs and not _deleted_itself(kwargs.get("origin"), sender):
        return
    if sender is m.AgreementSection:
        agreement = m.Agreement.objects.prefetch_related("sections").filter(pk=instance.agreement_id).first()
        if agreement is not None:
            index_object(agreement)
    else:
        vorlage = m.Vorlage.objects.prefetch_related("sections").filter(pk=instance.vorlage_id).first()
        if vorlage is not None:
            index_object(vorlage)


def connect_signals():
    """Called from AgreementsConfig.ready(); dispatch_uid keeps a second call harmless."""
    for source in SOURCES:
        uid = f"search-{source.kind}"
        if source.model is m.Document:
            post_save.connect(_document_saved, sender=m.Document, dispatch_uid=f"{uid}-save")
        else:
            post_save.connect(_saved, sender=source.model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_deleted, sender=source.model, dispatch_uid=f"{uid}-delete")
    for model in (m.AgreementSection, m.VorlageSection):
        post_save.connect(_section_changed, sender=model, dispatch_uid=f"search-{model.__name__}-save")
        post_delete.connect(_section_changed, sender=model, dispatch_uid=f"search-{model.__name__}-delete")


# Querying --------------------------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    kind: str
    kind_label: str
    title: str
    url: str
    agreement_title: str
    snippet: str  # safe HTML: escaped text, hits in <mark>
    modified: object
    object_id: int


def visible_entries(user):
    """The entries the user may read, by the rules of the pages the results link to."""
    entries = m.SearchEntry.objects.all()
    if not user.is_authenticated:
        return entries.none()
    own_page = (Kind.VORLAGE, Kind.DOCUMENT)
    if user.is_superuser:
        # Everything, except records of no agreement that only exist on an agreement's page (no page to show).
        return entries.filter(Q(agreement__isnull=False) | Q(kind__in=own_page))
    agreements = access.visible_agreements(user).values("pk")
    on_agreement = Q(agreement__in=agreements)
    # access.can_read_document: the document's agreement, or that of a letter or statement it is the file of.
    document = Q(kind=Kind.DOCUMENT) & (
        on_agreement
        | Exists(m.Letter.objects.filter(document_id=OuterRef("object_id"), agreement__in=agreements))
        | Exists(m.Statement.objects.filter(document_id=OuterRef("object_id"), agreement__in=agreements))
    )
    vorlage = Q(kind=Kind.VORLAGE, vorlage__in=vorlage_access.visible_vorlagen(user).values("pk"))
    return entries.filter((~Q(kind__in=own_page) & on_agreement) | vorlage | document)


def _safe_headline(text):
    text = " ".join((text or "").split())
    return mark_safe(escape(text).replace(START_SEL, "<mark>").replace(STOP_SEL, "</mark>"))


def _postgres_matches(entries, text):
    query = SearchQuery(text, config="german", search_type="websearch")
    return (
        entries.filter(search_vector=query)
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            headline=SearchHeadline(
                "body", query, config="german", start_sel=START_SEL, stop_sel=STOP_SEL, max_words=35, min_words=15,
            ),
        )
        .order_by("-rank", "-modified", "-pk")
    )


_TERM = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)')


def parse_terms(text):
    """websearch-like syntax for the fallback: words and "quoted phrases" must occur, -word must not; OR is
    ignored. Returns (required, excluded), lower-cased and without duplicates."""
    required, excluded = [], []
    for minus_phrase, phrase, minus_word, word in _TERM.findall(text):
        negative = bool(minus_phrase or minus_word)
        term = " ".join((phrase or word).split()).strip("\"'.,;:!?()[]{}")
        if not term or (not negative and term.lower() == "or"):
            continue
        target = excluded if negative else required
        if term.lower() not in target:
            target.append(term.lower())
    return required[:MAX_FALLBACK_TERMS], excluded[:MAX_FALLBACK_TERMS]


def _variants(term):
    # SQLite's LIKE ignores case for ASCII letters only: "übernahme" must still find "Übernahme".
    return {term, term.upper(), term[:1].upper() + term[1:]}


def _contains(field, term):
    return functools.reduce(operator.or_, (Q(**{f"{field}__icontains": v}) for v in _variants(term)))


def _fallback_matches(entries, required, excluded):
    for term in required:
        entries = entries.filter(_contains("title", term) | _contains("body", term))
    for term in excluded:
        entries = entries.exclude(_contains("title", term) | _contains("body", term))
    title_hits = functools.reduce(operator.add, (
        Case(When(_contains("title", term), then=Value(1)), default=Value(0), output_field=IntegerField())
        for term in required
    ))
    return entries.annotate(title_hits=title_hits).order_by("-title_hits", "-modified", "-pk")


SNIPPET_CHARS = 240


def fallback_snippet(body, terms, width=SNIPPET_CHARS):
    """About `width` characters of the body around the first hit, escaped, with every hit in <mark>."""
    text = " ".join((body or "").split())
    if not text:
        return mark_safe("")
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(text) if terms else None
    start = max(0, first.start() - width // 3) if first else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first.start() else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > (first.end() if first else start) else end
    window = text[start:end]
    out = ["… " if start else ""]
    position = 0
    for hit in (pattern.finditer(window) if terms else ()):
        out += [escape(window[position:hit.start()]), "<mark>", escape(hit.group()), "</mark>"]
        position = hit.end()
    out += [escape(window[position:]), " …" if end < len(text) else ""]
    # Every piece of text above went through escape(); the only markup is ours.
    return mark_safe("".join(out))


def _url(entry):
    try:
        if entry.kind == Kind.AGREEMENT:
            return reverse("agreement_detail", args=[entry.object_id])
        if entry.kind == Kind.GOAL:
            return reverse("agreement_goals", args=[entry.agreement_id]) + f"#ziel-{entry.object_id}"
        if entry.kind == Kind.OFFER:
            return reverse("agreement_offers", args=[entry.agreement_id]) + f"#angebot-{entry.object_id}"
        if entry.kind == Kind.STEP:
            return reverse("agreement_timeline", args=[entry.agreement_id]) + f"#step-{entry.object_id}"
        if entry.kind == Kind.PROPOSAL:
            return reverse("agreement_proposals", args=[entry.agreement_id]) + f"#proposal-{entry.object_id}"
        if entry.kind == Kind.STATEMENT:
            return reverse("agreement_statements", args=[entry.agreement_id]) + f"#statement-{entry.object_id}"
        if entry.kind == Kind.LETTER:
            return reverse("agreement_letters", args=[entry.agreement_id])
        if entry.kind == Kind.VORLAGE:
            return reverse("vorlage_detail", args=[entry.object_id])
        if entry.kind == Kind.DOCUMENT:
            return reverse("document_download", args=[entry.object_id])
    except NoReverseMatch:
        # The Vorlage pages may not be wired into the URLconf (yet); the hit is still worth showing.
        return ""
    return ""


def search(user, query, *, kinds=None, limit=20, offset=0):
    """The entries matching `query` that the user may read: (results for [offset:offset + limit], total).

    `kinds` restricts to SearchEntry.Kind values. Best hits first: on PostgreSQL by rank (title hits weigh more),
    on SQLite by the number of query words in the title; then the most recently changed.
    """
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    if not query or not user.is_authenticated:
        return [], 0
    entries = visible_entries(user)
    if kinds:
        entries = entries.filter(kind__in=list(kinds))
    postgres = connection.vendor == "postgresql"
    if postgres:
        entries = _postgres_matches(entries, query)
        terms = ()
    else:
        terms, excluded = parse_terms(query)
        if not terms:
            return [], 0
        entries = _fallback_matches(entries, terms, excluded)
    total = entries.count()
    if not total or offset >= total:
        return [], total
    columns = ["kind", "object_id", "agreement_id", "vorlage_id", "title", "modified", "agreement__title"]
    if not postgres:
        columns.append("body")  # the snippet is cut in Python
    results = []
    for entry in entries.select_related("agreement").only(*columns)[offset:offset + limit]:
        results.append(SearchResult(
            kind=entry.kind,
            kind_label=entry.get_kind_display(),
            title=entry.title,
            url=_url(entry),
            agreement_title=entry.agreement.title if entry.agreement_id else "",
            snippet=_safe_headline(entry.headline) if postgres else fallback_snippet(entry.body, terms),
            modified=entry.modified,
            object_id=entry.object_id,
        ))
    return results, total

"""Redline comparison of agreement versions: pure functions over snapshots (services.versions), no database.

Changes are marked with <ins>/<del> elements and a visually hidden "eingefügt:"/"gelöscht:" prefix, so they
are readable without colour and announced by screen readers. Every piece of user text is escaped here; the
result is a SafeString that templates output as is.
"""

import re
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

# A word or a punctuation mark together with the whitespace after it; leading whitespace on its own. Joining
# the tokens gives the text back unchanged. Keeping the whitespace on the word (instead of separate tokens)
# keeps the matcher fast on long texts, because a lone " " would match everywhere.
_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")
_WORD = re.compile(r"\w")
# A sentence (or clause up to a colon or semicolon) with the whitespace after it.
_SENTENCE = re.compile(r"[^.!?;:]*[.!?;:]*\s*")

# Above this many pairs of units (lines, sentences or words) a block is shown as deleted and inserted whole,
# so that a pathological input cannot make the page slow (about half a second in the worst case).
_MAX_WORK = 4_000_000

STATUS_LABELS = {
    "added": _("neu"),
    "removed": _("entfallen"),
    "changed": _("geändert"),
    "unchanged": _("unverändert"),
}

FIELD_LABELS = {
    "title": _("Titel"),
    "year": _("Jahr"),
    "preamble": _("Präambel"),
    "legal_basis_note": _("weitere Rechtsgrundlagen (Freitext)"),
    "heading": _("Überschrift"),
    "text": _("Text"),
    "kind": _("Zielart"),
    "level": _("Zielebene"),
    "area": _("Handlungsfeld"),
    "direction": _("Tendenz"),
    "indicator": _("Kennzahl"),
    "reference_value": _("Referenzwert"),
    "corridor_low": _("Korridor untere Grenze"),
    "corridor_high": _("Korridor obere Grenze"),
    "target_value": _("Zielwert"),
    "unit": _("Einheit"),
    "topic": _("Themenschwerpunkt"),
    "provider": _("Anbieter"),
    "coordinated_with": _("abgestimmt mit"),
    "status": _("Stand"),
    "role": _("Rolle"),
}

# Fields diffed word by word; the others are short values shown as replaced whole.
TEXT_FIELDS = frozenset({"title", "preamble", "legal_basis_note", "heading", "text"})

HEADER_FIELDS = ("title", "year", "preamble", "legal_basis_note")
ITEM_FIELDS = {
    "sections": ("heading", "text"),
    "goals": (
        "title", "text", "kind", "level", "area", "direction", "indicator", "reference_value", "corridor_low",
        "corridor_high", "target_value", "unit",
    ),
    "offers": ("topic", "title", "text", "provider", "coordinated_with", "status"),
}
ITEM_TITLE_FIELD = {"sections": "heading", "goals": "title", "offers": "title"}


def _ins(html):
    return f'<ins><span class="visually-hidden">{escape(_("eingefügt:"))} </span>{html}</ins>'


def _del(html):
    return f'<del><span class="visually-hidden">{escape(_("gelöscht:"))} </span>{html}</del>'


def _tokens(text):
    return _TOKEN.findall(text)


def _sentences(text):
    return [piece for piece in _SENTENCE.findall(text) if piece]


def _lines(text):
    return text.splitlines(keepends=True)


def _diff_parts(old, new, splitters=None):
    """(kind, old_text, new_text) pieces, kind 'equal' or 'change'.

    Coarse to fine: lines, then sentences inside changed lines, then words inside changed sentences. Agreement
    texts are long and most edits touch a few places; a word-level match over a whole long text would be slow.
    A block that is still too large for the next level is shown as replaced whole.
    """
    if splitters is None:
        splitters = (_lines, _sentences, _tokens)
    split, finer = splitters[0], splitters[1:]
    old_units, new_units = split(old), split(new)
    if len(old_units) * len(new_units) > _MAX_WORK:
        return [("change", old, new)]
    parts = []
    matcher = SequenceMatcher(None, old_units, new_units, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_block, new_block = "".join(old_units[i1:i2]), "".join(new_units[j1:j2])
        if tag == "equal":
            parts.append(("equal", old_block, new_block))
        elif not old_block or not new_block or not finer:
            parts.append(("change", old_block, new_block))
        else:
            parts.extend(_diff_parts(old_block, new_block, finer))
    return parts


def _coalesce(parts):
    """Fold a stray match of punctuation or spaces between two changes into them: "anbietet[+. Die … vom 23+].
    [+01.2012+]" reads better as one insertion."""
    merged = []
    for index, (kind, old, new) in enumerate(parts):
        stray = (
            kind == "equal" and not _WORD.search(old) and merged and merged[-1][0] == "change"
            and index + 1 < len(parts) and parts[index + 1][0] == "change"
        )
        if stray or (kind == "change" and merged and merged[-1][0] == "change"):
            _, old_before, new_before = merged[-1]
            merged[-1] = ("change", old_before + old, new_before + new)
        else:
            merged.append((kind, old, new))
    return merged


def _trim(parts):
    """Move punctuation and spaces that both sides of a change share at its ends out of the change: a new
    paragraph after "anbietet." is an insertion after the full stop, not a replaced full stop."""
    trimmed = []
    for kind, old, new in parts:
        if kind != "change" or not old or not new:
            trimmed.append((kind, old, new))
            continue
        limit = min(len(old), len(new))
        head = 0
        while head < limit and old[head] == new[head] and not _WORD.match(old[head]):
            head += 1
        tail = 0
        while (tail < limit - head and old[-1 - tail] == new[-1 - tail]
               and not _WORD.match(old[-1 - tail])):
            tail += 1
        end_old, end_new = len(old) - tail, len(new) - tail
        pieces = [
            ("equal", old[:head], new[:head]),
            ("change", old[head:end_old], new[head:end_new]),
            ("equal", old[end_old:], new[end_new:]),
        ]
        trimmed.extend(piece for piece in pieces if piece[1] or piece[2])
    return trimmed


def _as_text(value):
    return "" if value is None else str(value)


def _marked(old, new):
    """(kind, old side, new side) of each piece, escaped: an unchanged piece as it is on each side, a change as
    its deletion (<del>) on the old side and its insertion (<ins>) on the new one ("" where there is none)."""
    for kind, old_piece, new_piece in _trim(_coalesce(_diff_parts(old, new))):
        if kind == "equal":
            yield kind, escape(old_piece), escape(new_piece)
        else:
            yield (kind, _del(escape(old_piece)) if old_piece else "",
                   _ins(escape(new_piece)) if new_piece else "")


def diff_sides(old, new):
    """diff_text split in two: (old with its deletions marked, new with its insertions marked)."""
    pieces = list(_marked(_as_text(old), _as_text(new)))
    return (mark_safe("".join(left for _kind, left, _right in pieces)),
            mark_safe("".join(right for _kind, _left, right in pieces)))


def diff_text(old, new):
    """Word-level redline of two texts: deletions in <del>, insertions in <ins>, everything escaped."""
    old, new = _as_text(old), _as_text(new)
    if old == new:
        return escape(old)
    # An unchanged piece once (as the old text has it), a change as its deletion followed by its insertion.
    return mark_safe("".join(left + (right if kind == "change" else "") for kind, left, right in _marked(old, new)))


def display_value(name, value, choice_labels=None):
    """A stored value as text: `choice_labels[name]` is either {code: label} or a function (e.g. a number
    formatter); codes without a label are shown as they are."""
    if value is None or value == "":
        return ""
    labels = (choice_labels or {}).get(name)
    if callable(labels):
        return str(labels(value))
    if labels and value in labels:
        return str(labels[value])
    return str(value)


def _field_change(name, old, new, choice_labels, *, label=None):
    """One field's comparison: labels, display values and redlines (inline and for each side)."""
    old_display = display_value(name, old, choice_labels)
    new_display = display_value(name, new, choice_labels)
    if name in TEXT_FIELDS:
        redline = diff_text(old_display, new_display)
        old_html, new_html = diff_sides(old_display, new_display)
    else:
        # Short values (numbers, codes) are replaced whole: a half-changed number would mislead.
        old_html = mark_safe(_del(escape(old_display))) if old_display and old != new else escape(old_display)
        new_html = mark_safe(_ins(escape(new_display))) if new_display and old != new else escape(new_display)
        redline = mark_safe(f"{old_html} {new_html}".strip()) if old != new else escape(new_display)
    return {
        "name": name,
        "label": label or FIELD_LABELS.get(name, name),
        "old": old_display,
        "new": new_display,
        "changed": old != new,
        "redline": redline,
        "old_html": old_html,
        "new_html": new_html,
    }


def _norm(value):
    return "" if value is None else str(value)


def _normalized_title(item, title_field):
    return " ".join(_norm(item.get(title_field)).split()).casefold()


def _match(old_items, new_items, title_field):
    """Pairs (old index or None, new index or None) in reading order: by id where both sides have one, then by
    title (snapshots written by the demo loader have no ids), the rest as added or removed."""
    pairs = {}  # new index -> old index
    used_old = set()
    old_by_id = {}
    for i, item in enumerate(old_items):
        if item.get("id") is not None:
            old_by_id.setdefault(item["id"], i)
    for j, item in enumerate(new_items):
        i = old_by_id.get(item.get("id")) if item.get("id") is not None else None
        if i is not None and i not in used_old:
            pairs[j] = i
            used_old.add(i)
    old_by_title = {}
    for i, item in enumerate(old_items):
        if i not in used_old:
            old_by_title.setdefault(_normalized_title(item, title_field), []).append(i)
    for j, item in enumerate(new_items):
        if j in pairs:
            continue
        candidates = old_by_title.get(_normalized_title(item, title_field))
        while candidates:
            i = candidates.pop(0)
            # An old item that had an id and a new item with another id are different items.
            if item.get("id") is not None and old_items[i].get("id") is not None:
                continue
            pairs[j] = i
            used_old.add(i)
            break

    removed = [i for i in range(len(old_items)) if i not in used_old]
    ordered = []
    for j in range(len(new_items)):
        i = pairs.get(j)
        # Removed items are shown where they stood before: ahead of the first kept item that followed them.
        while i is not None and removed and removed[0] < i:
            ordered.append((removed.pop(0), None))
        ordered.append((i, j))
    ordered.extend((i, None) for i in removed)
    return ordered


def _compare_items(kind, old_items, new_items, choice_labels):
    fields = ITEM_FIELDS[kind]
    title_field = ITEM_TITLE_FIELD[kind]
    entries = []
    for i, j in _match(old_items, new_items, title_field):
        old = old_items[i] if i is not None else None
        new = new_items[j] if j is not None else None
        if old is None:
            status = "added"
            changes = [_field_change(f, None, new.get(f), choice_labels) for f in fields if _norm(new.get(f))]
        elif new is None:
            status = "removed"
            changes = [_field_change(f, old.get(f), None, choice_labels) for f in fields if _norm(old.get(f))]
        else:
            changes = [
                _field_change(f, old.get(f), new.get(f), choice_labels)
                for f in fields if _norm(old.get(f)) != _norm(new.get(f))
            ]
            status = "changed" if changes else "unchanged"
        shown = new if new is not None else old
        entries.append({
            "status": status,
            "status_label": STATUS_LABELS[status],
            "id": shown.get("id"),
            "title": _norm(shown.get(title_field)),
            "old_title": _norm(old.get(title_field)) if old else "",
            "old": old,
            "new": new,
            "fields": changes,
        })
    return entries


def _compare_parties(old_parties, new_parties, choice_labels):
    def key(p):
        return ("id", p["party_id"]) if p.get("party_id") is not None else ("name", p.get("name"))

    old_by_key = {key(p): p for p in old_parties}
    new_keys = {key(p) for p in new_parties}
    entries = []
    for p in new_parties:
        old = old_by_key.get(key(p))
        if old is None:
            status = "added"
        elif _norm(old.get("role")) != _norm(p.get("role")) or _norm(old.get("name")) != _norm(p.get("name")):
            status = "changed"
        else:
            status = "unchanged"
        entries.append({
            "status": status, "status_label": STATUS_LABELS[status], "name": _norm(p.get("name")),
            "old_name": _norm(old.get("name")) if old else "",
            "role": display_value("role", p.get("role"), choice_labels),
            "old_role": display_value("role", old.get("role"), choice_labels) if old else "",
        })
    for p in old_parties:
        if key(p) not in new_keys:
            entries.append({
                "status": "removed", "status_label": STATUS_LABELS["removed"], "name": _norm(p.get("name")),
                "old_name": _norm(p.get("name")), "role": "",
                "old_role": display_value("role", p.get("role"), choice_labels),
            })
    return entries


def compare_snapshots(a, b, *, choice_labels=None):
    """Compare two snapshots (a old, b new).

    Returns a dict with
    - "fields": changed header fields (title, year, preamble, further legal bases) as field changes;
    - "legal_bases": {"added": [...], "removed": [...], "unchanged": [...]} of citations;
    - "parties": entries with status and name/role before and after;
    - "sections", "goals", "offers": entries with "status" (added/removed/changed/unchanged), the old and new
      item, and "fields": for changed items the changed fields, for added/removed items all filled fields;
    - "counts" per status over sections, goals and offers, and "has_changes".

    A field change has "name", "label", "old", "new" (display strings), "redline" (inline, <ins>/<del>) and
    "old_html"/"new_html" (each side marked, for a side-by-side view). `choice_labels` maps a field name to
    {code: label} so that codes are shown as words.
    """
    # Snapshots are stored JSON: anything but an object is treated as empty rather than failing the page.
    a = a if isinstance(a, dict) else {}
    b = b if isinstance(b, dict) else {}
    header = [
        _field_change(f, a.get(f), b.get(f), choice_labels)
        for f in HEADER_FIELDS if _norm(a.get(f)) != _norm(b.get(f))
    ]
    old_bases, new_bases = list(a.get("legal_bases") or []), list(b.get("legal_bases") or [])
    legal_bases = {
        "added": [c for c in new_bases if c not in old_bases],
        "removed": [c for c in old_bases if c not in new_bases],
        "unchanged": [c for c in new_bases if c in old_bases],
    }
    parties = _compare_parties(a.get("parties") or [], b.get("parties") or [], choice_labels)
    result = {
        "fields": header,
        "legal_bases": legal_bases,
        "parties": parties,
    }
    counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for kind in ("sections", "goals", "offers"):
        entries = _compare_items(kind, a.get(kind) or [], b.get(kind) or [], choice_labels)
        for entry in entries:
            counts[entry["status"]] += 1
        result[kind] = entries
    result["counts"] = counts
    result["has_changes"] = bool(
        header or legal_bases["added"] or legal_bases["removed"]
        or any(p["status"] != "unchanged" for p in parties)
        or counts["added"] or counts["removed"] or counts["changed"]
    )
    return result

"""Redline comparison of agreement versions: pure functions over snapshots (services.versions), no database.

Changes are marked with <ins>/<del> elements and a visually hidden "eingefügt:"/"gelöscht:" prefix, so they
are readable without colour and announced by screen readers. Every piece of user text is escaped here; the
result is a SafeString that templates output as is.

Texts are compared word by word. A word is a run of non-whitespace characters ("14.01.2012", "Kreises,",
"§"), whitespace being what Python's str.isspace() calls so (the regex class \\s, which includes the no-break
space and every line separator). A mark starts and ends only at a word boundary, never inside a word: a
changed date reads "am <del>14.01.2012</del><ins>23.01.2013</ins>", not "am 2314.01.20122013". The whitespace
after a word belongs to it, so a word followed by a space and the same word followed by a line break differ.

Line endings are not changes: before comparing, every "\\r\\n" and every lone "\\r" becomes "\\n"
(normalise_newlines), so a text saved from a browser form (which sends "\\r\\n") equals the same text written
with "\\n". The views (diff_views) show the texts so normalised.
"""

import re
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .numbers import format_number
from .parts import interface_lang_code

# A word with the whitespace after it; leading whitespace on its own. Joining the tokens gives the text back
# unchanged. Keeping the whitespace on the word (instead of separate tokens) keeps the matcher fast on long
# texts, because a lone " " would match everywhere.
_TOKEN = re.compile(r"\S+\s*|\s+")
_LETTER_OR_DIGIT = re.compile(r"\w")
_NEWLINE = re.compile(r"\r\n?")
# A sentence (or clause) ends with a word whose last character is one of these: "Kreises." ends one,
# "14.01.2012" does not.
_SENTENCE_END = frozenset(".!?;:")

# Above this many pairs of units (lines, sentences or words) a block is shown as deleted and inserted whole,
# so that a pathological input cannot make the page slow (about half a second in the worst case).
_MAX_WORK = 4_000_000

# The three views of two texts: the changes marked (deletions and insertions in the text), the new text alone,
# the old text alone (neither marked).
VIEWS = ("changes", "new", "old")

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
    "corridor_exception_reason": _("Begründung für den Zielwert außerhalb des Korridors"),
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
        "corridor_high", "target_value", "unit", "corridor_exception_reason",
    ),
    "offers": ("topic", "title", "text", "provider", "coordinated_with", "status"),
}
ITEM_TITLE_FIELD = {"sections": "heading", "goals": "title", "offers": "title"}


def _hidden_label(label):
    # Inside German record text on a page in another language, the word for the change is in the page's language.
    code = interface_lang_code()
    lang = f' lang="{escape(code)}"' if code else ""
    return f'<span class="visually-hidden"{lang}>{escape(label)} </span>'


def _ins(html):
    return f'<ins>{_hidden_label(_("eingefügt:"))}{html}</ins>'


def _del(html):
    return f'<del>{_hidden_label(_("gelöscht:"))}{html}</del>'


def normalise_newlines(text):
    """The text with "\\r\\n" and a lone "\\r" as "\\n": a change of line ending only is no change."""
    return _NEWLINE.sub("\n", text)


def _tokens(text):
    return _TOKEN.findall(text)


def _sentences(text):
    """Sentences (or clauses up to a colon or semicolon) made of whole words, each with the whitespace after it."""
    sentences, current = [], []
    for token in _tokens(text):
        current.append(token)
        word = token.rstrip()
        if word and word[-1] in _SENTENCE_END:
            sentences.append("".join(current))
            current = []
    if current:
        sentences.append("".join(current))
    return sentences


def _lines(text):
    # Every character splitlines() breaks at is whitespace, so a line ends at a word boundary.
    return text.splitlines(keepends=True)


def _diff_parts(old, new, splitters=None):
    """(kind, old_text, new_text) pieces, kind 'equal' or 'change'.

    Coarse to fine: lines, then sentences inside changed lines, then words inside changed sentences. Agreement
    texts are long and most edits touch a few places; a word-level match over a whole long text would be slow.
    A block that is still too large for the next level is shown as replaced whole. Every unit is made of whole
    words, so every piece starts and ends at a word boundary.
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
    """Fold a stray match of punctuation or spaces between two changes into them: "[-alt-][+neu+] – [-alt-][+neu+]"
    reads better as one deletion and one insertion around nothing but a dash."""
    merged = []
    for index, (kind, old, new) in enumerate(parts):
        stray = (
            kind == "equal" and not _LETTER_OR_DIGIT.search(old) and merged and merged[-1][0] == "change"
            and index + 1 < len(parts) and parts[index + 1][0] == "change"
        )
        if stray or (kind == "change" and merged and merged[-1][0] == "change"):
            _, old_before, new_before = merged[-1]
            merged[-1] = ("change", old_before + old, new_before + new)
        else:
            merged.append((kind, old, new))
    return merged


def _at_boundary(text, position):
    """Whether `position` in `text` (a piece that itself starts and ends at word boundaries) splits no word."""
    return (position <= 0 or position >= len(text) or text[position - 1].isspace()
            or text[position].isspace())


def _trim(parts):
    """Move whole words and whitespace that both sides of a change share at its ends out of the change: a new
    paragraph after "unterstützt." is an insertion after that word ("unterstützt." and "unterstützt.\\n" are
    different tokens to the matcher), not a replaced word. A cut falls only where it splits a word on neither
    side."""
    trimmed = []
    for kind, old, new in parts:
        if kind != "change" or not old or not new:
            trimmed.append((kind, old, new))
            continue
        limit = min(len(old), len(new))
        head = 0
        while head < limit and old[head] == new[head]:
            head += 1
        while head and not (_at_boundary(old, head) and _at_boundary(new, head)):
            head -= 1
        tail = 0
        while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
            tail += 1
        while tail and not (_at_boundary(old, len(old) - tail) and _at_boundary(new, len(new) - tail)):
            tail -= 1
        end_old, end_new = len(old) - tail, len(new) - tail
        pieces = [
            ("equal", old[:head], new[:head]),
            ("change", old[head:end_old], new[head:end_new]),
            ("equal", old[end_old:], new[end_new:]),
        ]
        trimmed.extend(piece for piece in pieces if piece[1] or piece[2])
    return trimmed


def _as_text(value):
    return "" if value is None else normalise_newlines(str(value))


def _pieces(old, new):
    """(kind, old piece, new piece): the old pieces joined give `old`, the new ones `new`; an 'equal' piece is
    the same on both sides, a 'change' piece is a deletion (its old side) and an insertion (its new side)."""
    if old == new:
        return [("equal", old, new)] if old else []
    return _trim(_coalesce(_diff_parts(old, new)))


def _marked(old, new):
    """(kind, old side, new side) of each piece, escaped: an unchanged piece as it is on each side, a change as
    its deletion (<del>) on the old side and its insertion (<ins>) on the new one ("" where there is none)."""
    for kind, old_piece, new_piece in _pieces(old, new):
        if kind == "equal":
            yield kind, escape(old_piece), escape(new_piece)
        else:
            yield (kind, _del(escape(old_piece)) if old_piece else "",
                   _ins(escape(new_piece)) if new_piece else "")


def diff_sides(old, new):
    """The changes split in two: (old with its deletions marked, new with its insertions marked)."""
    pieces = list(_marked(_as_text(old), _as_text(new)))
    return (mark_safe("".join(left for _kind, left, _right in pieces)),
            mark_safe("".join(right for _kind, _left, right in pieces)))


def diff_views(old, new):
    """The three views of two texts, {view: SafeString} for each of VIEWS, all from the same comparison:

    - "changes": the text with each change marked where it is, its deletion (<del>) before its insertion (<ins>);
      dropping the insertions gives the old text, dropping the deletions the new one;
    - "new": the new text alone, unmarked; "old": the old text alone, unmarked.

    Texts are compared after normalise_newlines, and shown so.
    """
    old, new = _as_text(old), _as_text(new)
    pieces = _pieces(old, new)
    # An unchanged piece once (the same on both sides), a change as its deletion followed by its insertion.
    changes = "".join(
        escape(old_piece) if kind == "equal" else
        (_del(escape(old_piece)) if old_piece else "") + (_ins(escape(new_piece)) if new_piece else "")
        for kind, old_piece, new_piece in pieces
    )
    return {
        "changes": mark_safe(changes),
        "new": mark_safe("".join(escape(new_piece) for _kind, _old, new_piece in pieces)),
        "old": mark_safe("".join(escape(old_piece) for _kind, old_piece, _new in pieces)),
    }


def diff_text(old, new):
    """Word-level redline of two texts: deletions in <del>, insertions in <ins>, everything escaped."""
    return diff_views(old, new)["changes"]


def display_value(name, value, choice_labels=None, unit=""):
    """A stored value as text: `choice_labels[name]` is either {code: label} or a function; codes without a
    label are shown as they are. A goal's number (NUMBER_FIELDS) is shown as agreements.text.numbers formats it,
    with the goal's `unit`, in the active language: "25,5 %"."""
    if value is None or value == "":
        return ""
    labels = (choice_labels or {}).get(name)
    if callable(labels):
        return str(labels(value))
    if name in NUMBER_FIELDS:
        return format_number(value, unit)
    if labels and value in labels:
        return str(labels[value])
    return str(value)


def _norm(value):
    return "" if value is None else str(value)


# Stored as canonical decimal strings by services.versions; compared as numbers, so that "22.10" written by an
# older snapshot and "22.1" are not reported as a change.
NUMBER_FIELDS = frozenset({"reference_value", "corridor_low", "corridor_high", "target_value"})


def _comparable(name, value):
    text = normalise_newlines(_norm(value))
    if name in NUMBER_FIELDS and text:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        return number if number.is_finite() else text
    return text


def same_value(name, old, new):
    """Whether a field's two stored values are the same: line endings and number formats aside."""
    return _comparable(name, old) == _comparable(name, new)


def _field_change(name, old, new, choice_labels, *, label=None, units=("", "")):
    """One field's comparison: labels, display values and redlines (inline and for each side). `units`: the
    unit of the old and of the new item, for its numbers."""
    old_display = _as_text(display_value(name, old, choice_labels, units[0]))
    new_display = _as_text(display_value(name, new, choice_labels, units[1]))
    changed = not same_value(name, old, new)
    if name in TEXT_FIELDS:
        redline = diff_text(old_display, new_display)
        old_html, new_html = diff_sides(old_display, new_display)
    else:
        # Short values (numbers, codes) are replaced whole: a half-changed number would mislead.
        old_html = mark_safe(_del(escape(old_display))) if old_display and changed else escape(old_display)
        new_html = mark_safe(_ins(escape(new_display))) if new_display and changed else escape(new_display)
        redline = mark_safe(f"{old_html} {new_html}".strip()) if changed else escape(new_display)
    return {
        "name": name,
        "label": label or FIELD_LABELS.get(name, name),
        "old": old_display,
        "new": new_display,
        "changed": changed,
        "redline": redline,
        "old_html": old_html,
        "new_html": new_html,
        # Record content (a text, a name as written), shown as German on a page in another language; choices,
        # numbers and the year are shown in the reader's language.
        "quoted": name not in NUMBER_FIELDS and name != "year" and not (choice_labels or {}).get(name),
    }


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
        units = ((old or {}).get("unit") or "", (new or {}).get("unit") or "")
        if old is None:
            status = "added"
            changes = [_field_change(f, None, new.get(f), choice_labels, units=units)
                       for f in fields if _norm(new.get(f))]
        elif new is None:
            status = "removed"
            changes = [_field_change(f, old.get(f), None, choice_labels, units=units)
                       for f in fields if _norm(old.get(f))]
        else:
            changes = [
                _field_change(f, old.get(f), new.get(f), choice_labels, units=units)
                for f in fields if not same_value(f, old.get(f), new.get(f))
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
            "old_index": i,
            "new_index": j,
            "fields": changes,
            # What changed in an item on both sides, by name ("Zielwert, Text"); empty for added and removed ones.
            "changed_labels": [change["label"] for change in changes] if status == "changed" else [],
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
      item and their places in the snapshots' lists ("old_index", "new_index", None on the side that has none),
      "fields": for changed items the changed fields, for added/removed items all filled fields, and
      "changed_labels": the labels of a changed item's changed fields;
    - "counts" per status over sections, goals and offers, and "has_changes".

    A field change has "name", "label", "old", "new" (display strings), "redline" (inline, <ins>/<del>) and
    "old_html"/"new_html" (each side marked, for a side-by-side view). `choice_labels` maps a field name to
    {code: label} so that codes are shown as words. Values that differ only in their line endings, or numbers
    only in their notation, are the same (same_value).
    """
    # Snapshots are stored JSON: anything but an object is treated as empty rather than failing the page.
    a = a if isinstance(a, dict) else {}
    b = b if isinstance(b, dict) else {}
    header = [
        _field_change(f, a.get(f), b.get(f), choice_labels)
        for f in HEADER_FIELDS if not same_value(f, a.get(f), b.get(f))
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

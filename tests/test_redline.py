"""Redline: pure functions over texts and snapshots, no database."""

import os
import re
import time
from html import unescape
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.text import redline
from agreements.text.redline import VIEWS, compare_snapshots, diff_sides, diff_text, diff_views, same_value


def _strip_hidden(html):
    return re.sub(r'<span class="visually-hidden">[^<]*</span>', "", str(html))


def test_it_marks_an_insertion():
    html = str(diff_text("Senkung der KdU", "Senkung der Kosten der KdU"))
    assert "<del>" not in html
    assert re.search(r"<ins>.*Kosten der </ins>", html)
    assert '<span class="visually-hidden">eingefügt: </span>' in html
    assert _strip_hidden(html).replace("<ins>", "").replace("</ins>", "") == "Senkung der Kosten der KdU"


def test_it_marks_a_deletion():
    html = str(diff_text("Senkung der Kosten der KdU", "Senkung der KdU"))
    assert "<ins>" not in html
    assert re.search(r"<del>.*Kosten der </del>", html)
    assert '<span class="visually-hidden">gelöscht: </span>' in html


def test_it_marks_a_replacement_as_deletion_and_insertion():
    html = str(diff_text("Die Quote soll steigen.", "Die Quote soll sinken."))
    # The full stop belongs to the word: the whole word is replaced.
    assert re.search(r"<del>.*steigen\.</del><ins>.*sinken\.</ins>$", html)
    assert html.startswith("Die Quote soll ")


def test_it_escapes_script_payloads():
    payload = '<script>alert("x")</script>'
    html = str(diff_text("harmlos", f"harmlos {payload}"))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    html = str(diff_text(payload, "harmlos"))
    assert "<script>" not in html
    assert "&lt;/script&gt;" in html


def test_it_escapes_unchanged_text_too():
    html = str(diff_text("<b>fett</b> alt", "<b>fett</b> neu"))
    assert "<b>" not in html
    assert html.startswith("&lt;b&gt;fett&lt;/b&gt; ")


def test_it_leaves_identical_text_unmarked():
    html = str(diff_text("Gleicher Text & mehr", "Gleicher Text & mehr"))
    assert "<ins>" not in html and "<del>" not in html
    assert html == "Gleicher Text &amp; mehr"


def test_it_handles_empty_and_missing_text():
    assert "<ins>" in str(diff_text(None, "neu"))
    assert "<del>" in str(diff_text("alt", ""))
    assert str(diff_text(None, None)) == ""


def test_it_keeps_unchanged_paragraphs_and_diffs_changed_ones():
    old = "Absatz eins bleibt.\nAbsatz zwei alt.\nAbsatz drei bleibt."
    new = "Absatz eins bleibt.\nAbsatz zwei neu.\nAbsatz drei bleibt."
    html = str(diff_text(old, new))
    assert html.startswith("Absatz eins bleibt.\nAbsatz zwei ")
    assert html.count("<del>") == 1 and html.count("<ins>") == 1
    assert html.endswith("Absatz drei bleibt.")


def test_it_splits_the_redline_for_side_by_side():
    left, right = diff_sides("alt und gleich", "neu und gleich")
    assert "<del>" in str(left) and "<ins>" not in str(left)
    assert "<ins>" in str(right) and "<del>" not in str(right)


def _snapshot(goals=(), sections=(), offers=(), **extra):
    data = {
        "schema": 1, "title": "ZV 2013", "year": 2013, "preamble": "", "legal_bases": ["§ 48b SGB II"],
        "legal_basis_note": "", "parties": [{"party_id": 1, "name": "MAIS", "role": "land"}],
        "sections": list(sections), "goals": list(goals), "offers": list(offers),
    }
    data.update(extra)
    return data


def _goal(id, title, **extra):
    goal = {
        "id": id, "order": 1, "kind": "quantitativ", "level": "lokal", "area": "kdu", "title": title, "text": "",
        "direction": "senkung", "indicator": None, "reference_value": None, "corridor_low": None,
        "corridor_high": None, "target_value": None, "unit": "",
    }
    goal.update(extra)
    return goal


def test_it_finds_no_changes_between_equal_snapshots():
    a = _snapshot(goals=[_goal(1, "KdU")])
    result = compare_snapshots(a, a)
    assert not result["has_changes"]
    assert [g["status"] for g in result["goals"]] == ["unchanged"]
    assert result["fields"] == []


def test_it_reports_an_added_goal():
    result = compare_snapshots(_snapshot(goals=[_goal(1, "KdU")]), _snapshot(goals=[_goal(1, "KdU"), _goal(2, "K3")]))
    assert [(g["title"], g["status"]) for g in result["goals"]] == [("KdU", "unchanged"), ("K3", "added")]
    added = result["goals"][1]
    assert {f["name"] for f in added["fields"]} >= {"title", "kind", "area"}
    assert "<ins>" in str(added["fields"][0]["redline"])
    assert result["counts"]["added"] == 1
    assert result["has_changes"]


def test_it_reports_a_removed_goal_where_it_stood():
    old = _snapshot(goals=[_goal(1, "KdU"), _goal(2, "K3"), _goal(3, "§ 16a")])
    new = _snapshot(goals=[_goal(1, "KdU"), _goal(3, "§ 16a")])
    result = compare_snapshots(old, new)
    assert [(g["title"], g["status"]) for g in result["goals"]] == [
        ("KdU", "unchanged"), ("K3", "removed"), ("§ 16a", "unchanged"),
    ]
    assert "<del>" in str(result["goals"][1]["fields"][0]["redline"])


def test_it_reports_changed_fields_with_old_and_new():
    old = _snapshot(goals=[_goal(1, "KdU", target_value="2.5", text="Die Kosten sinken.")])
    new = _snapshot(goals=[_goal(1, "KdU", target_value="3", text="Die Kosten sinken deutlich.")])
    result = compare_snapshots(old, new, choice_labels={"target_value": lambda v: v.replace(".", ",")})
    goal = result["goals"][0]
    assert goal["status"] == "changed"
    fields = {f["name"]: f for f in goal["fields"]}
    assert set(fields) == {"target_value", "text"}
    assert (fields["target_value"]["old"], fields["target_value"]["new"]) == ("2,5", "3")
    assert "<ins>" in str(fields["text"]["redline"]) and "deutlich" in str(fields["text"]["redline"])
    assert str(fields["target_value"]["label"]) == "Zielwert"


@pytest.mark.parametrize("language, old, new, added", [
    ("de", "25,5\u00a0%", "25,2\u00a0%", "1250,5\u00a0Personen"),
    ("en", "25.5%", "25.2%", "1250.5\u00a0Personen"),
])
def test_it_shows_goal_numbers_with_their_unit_as_the_pages_do(language, old, new, added):
    """agreements.text.numbers in the reader's language; "25.50" written by an older snapshot reads "25,5"."""
    from django.utils import translation

    before = _snapshot(goals=[_goal(1, "Quote", corridor_low="24", target_value="25.50", unit="%")])
    after = _snapshot(goals=[_goal(1, "Quote", corridor_low="24", target_value="25.2", unit="%"),
                             _goal(2, "Teilnehmende", reference_value="1250.5", unit="Personen")])
    with translation.override(language):
        changed, new_goal = compare_snapshots(before, after)["goals"]
    [field] = changed["fields"]
    assert (field["name"], field["old"], field["new"]) == ("target_value", old, new)
    assert f"</span>{old}</del>" in str(field["redline"]) and f"</span>{new}</ins>" in str(field["redline"])
    assert {f["name"]: f["new"] for f in new_goal["fields"]}["reference_value"] == added


def test_it_shows_each_side_of_a_goal_number_with_that_sides_unit():
    before = _snapshot(goals=[_goal(1, "Quote", target_value="12", unit="%")])
    after = _snapshot(goals=[_goal(1, "Quote", target_value="120", unit="Personen")])
    fields = {f["name"]: f for f in compare_snapshots(before, after)["goals"][0]["fields"]}
    assert (fields["target_value"]["old"], fields["target_value"]["new"]) == ("12\u00a0%", "120\u00a0Personen")
    assert (fields["unit"]["old"], fields["unit"]["new"]) == ("%", "Personen")


def test_it_matches_a_goal_by_id_across_a_title_change():
    old = _snapshot(goals=[_goal(7, "Senkung der KdU")])
    new = _snapshot(goals=[_goal(7, "Senkung der Kosten der Unterkunft")])
    result = compare_snapshots(old, new)
    assert len(result["goals"]) == 1
    goal = result["goals"][0]
    assert goal["status"] == "changed"
    assert goal["old_title"] == "Senkung der KdU"
    title = next(f for f in goal["fields"] if f["name"] == "title")
    assert "<del>" in str(title["redline"]) and "<ins>" in str(title["redline"])


def test_it_matches_by_title_when_snapshots_have_no_ids():
    old = _snapshot(goals=[{"title": "KdU", "text": "alt"}], sections=[{"heading": "§ 1", "text": "a"}])
    new = _snapshot(goals=[_goal(5, "KdU", text="neu")], sections=[{"heading": "§ 1", "text": "a"}])
    result = compare_snapshots(old, new)
    assert [g["status"] for g in result["goals"]] == ["changed"]
    assert [s["status"] for s in result["sections"]] == ["unchanged"]


def test_it_does_not_match_different_ids_with_the_same_title():
    result = compare_snapshots(_snapshot(goals=[_goal(1, "KdU")]), _snapshot(goals=[_goal(2, "KdU")]))
    assert sorted(g["status"] for g in result["goals"]) == ["added", "removed"]


def test_it_compares_header_legal_bases_and_parties():
    old = _snapshot(preamble="Das Land und der Kreis")
    new = _snapshot(
        title="ZV 2013 (Entwurf)", preamble="Das Land, der Kreis und das Jobcenter",
        legal_bases=["§ 48b SGB II", "§ 2a AG-SGB II NRW"],
        parties=[{"party_id": 1, "name": "MAIS", "role": "land"}, {"party_id": 2, "name": "Kreis", "role": "x"}],
    )
    result = compare_snapshots(old, new, choice_labels={"role": {"land": "Land"}})
    assert {f["name"] for f in result["fields"]} == {"title", "preamble"}
    assert result["legal_bases"]["added"] == ["§ 2a AG-SGB II NRW"]
    assert [(p["name"], p["status"], p["role"]) for p in result["parties"]] == [
        ("MAIS", "unchanged", "Land"), ("Kreis", "added", "x"),
    ]
    assert result["has_changes"]


def test_it_compares_offers_and_tolerates_missing_keys():
    old = {"title": "ZV", "offers": [{"title": "Beratung", "status": "geplant"}]}
    new = {"title": "ZV", "offers": [{"title": "Beratung", "status": "umgesetzt"}]}
    result = compare_snapshots(old, new, choice_labels={"status": {"geplant": "geplant", "umgesetzt": "umgesetzt"}})
    offer = result["offers"][0]
    assert offer["status"] == "changed"
    assert [(f["name"], f["old"], f["new"]) for f in offer["fields"]] == [("status", "geplant", "umgesetzt")]
    assert result["goals"] == [] and result["sections"] == []


def test_it_treats_a_malformed_snapshot_as_empty():
    result = compare_snapshots(None, ["kein", "Objekt"])
    assert not result["has_changes"]
    assert result["goals"] == []


def test_it_marks_an_appended_paragraph_after_the_full_stop():
    old = "Das Land unterstützt."
    html = _strip_hidden(diff_text(old, old + "\nDie Liga vom 23.01.2012 ist Anlage."))
    assert html == "Das Land unterstützt.<ins>\nDie Liga vom 23.01.2012 ist Anlage.</ins>"


def test_it_marks_a_changed_number_only():
    assert _strip_hidden(diff_text("§ 4 Laufzeit", "§ 5 Laufzeit")) == "§ <del>4</del><ins>5</ins> Laufzeit"


def test_it_stays_fast_and_correct_on_long_texts():
    import time

    sentences = [f"Satz {n} über das Ziel {n * 7} des Kreises." for n in range(3000)]
    old = " ".join(sentences)
    changed = list(sentences)
    changed[1500] = "Ein ganz neuer Satz."
    start = time.monotonic()
    html = _strip_hidden(diff_text(old, " ".join(changed)))
    assert time.monotonic() - start < 2
    assert html.count("<ins>") == 1 and html.count("<del>") == 1
    assert "Ein ganz neuer Satz" in html


# --- words, line endings, the three views ------------------------------------------------------------------

# A word is a run of non-whitespace: a mark takes a changed word whole, with its punctuation.
@pytest.mark.parametrize("old, new, marked", [
    # Issue 12: the date used to read "2314.01.20122013".
    ("am 14.01.2012 in Mettmann", "am 23.01.2013 in Mettmann",
     "am <del>14.01.2012</del><ins>23.01.2013</ins> in Mettmann"),
    ("des Kreises, der", "des Landes, der", "des <del>Kreises,</del><ins>Landes,</ins> der"),
    ("ME-aktiv hilft", "ME-Aktiv hilft", "<del>ME-aktiv</del><ins>ME-Aktiv</ins> hilft"),
    ("§ 4 Laufzeit", "§ 5 Laufzeit", "§ <del>4</del><ins>5</ins> Laufzeit"),
    ("Quote 22,1 %", "Quote 22,5 %", "Quote <del>22,1</del><ins>22,5</ins> %"),
    ("Senkung der KdU", "Senkung der Kosten der KdU", "Senkung der <ins>Kosten der </ins>KdU"),
    ("Der Kreis Mettmann und das Land", "Der Kreis Mettmann, das Land",
     "Der Kreis <del>Mettmann und</del><ins>Mettmann,</ins> das Land"),
    # A sentence ends at a full stop followed by whitespace only, not inside "14.01.2012".
    ("Vom 14.01.2012. Danach gilt", "Vom 14.01.2013. Danach gilt",
     "Vom <del>14.01.2012.</del><ins>14.01.2013.</ins> Danach gilt"),
    # A word and the same word with a line break after it: the break is inserted, the word stays.
    ("Ende.", "Ende.\nNeu.", "Ende.<ins>\nNeu.</ins>"),
    ("Zeile eins\nZeile zwei", "Zeile eins \nZeile zwei", "Zeile eins<ins> </ins>\nZeile zwei"),
    ("Text", "Text", "Text"),
    ("", "neu", "<ins>neu</ins>"),
    ("alt", "", "<del>alt</del>"),
])
def test_it_marks_whole_words(old, new, marked):
    assert _strip_hidden(diff_text(old, new)) == marked


@pytest.mark.parametrize("old, new", [
    ("Absatz eins\r\nAbsatz zwei", "Absatz eins\nAbsatz zwei"),
    ("Absatz eins\rAbsatz zwei", "Absatz eins\nAbsatz zwei"),
    ("Absatz eins\r\n\r\nAbsatz zwei\r\n", "Absatz eins\n\nAbsatz zwei\n"),
    ("eins\r\nzwei\rdrei\n", "eins\rzwei\r\ndrei\r"),
])
def test_it_ignores_a_change_of_line_endings(old, new):
    html = str(diff_text(old, new))
    assert "<ins>" not in html and "<del>" not in html
    # Shown as normalised: every line ending is "\n".
    assert "\r" not in html
    assert html == new.replace("\r\n", "\n").replace("\r", "\n")
    left, right = diff_sides(old, new)
    assert "<del>" not in str(left) and "<ins>" not in str(right)


def test_it_marks_a_change_next_to_a_changed_line_ending_only_where_the_words_differ():
    assert _strip_hidden(diff_text("alt\r\nText", "neu\nText")) == "<del>alt</del><ins>neu</ins>\nText"


def test_it_offers_three_views_of_two_texts():
    views = diff_views("Die Quote soll\r\nsteigen.", "Die Quote soll\nsinken.")
    assert set(views) == set(VIEWS)
    assert _strip_hidden(views["changes"]) == "Die Quote soll\n<del>steigen.</del><ins>sinken.</ins>"
    assert str(views["new"]) == "Die Quote soll\nsinken."
    assert str(views["old"]) == "Die Quote soll\nsteigen."
    # Escaped, like the changes.
    assert str(diff_views("a <b>", "a <i>")["new"]) == "a &lt;i&gt;"
    assert str(diff_views(None, None)["old"]) == ""


def test_it_reports_no_change_for_line_endings_or_number_notation():
    old = _snapshot(preamble="Das Land\r\nund der Kreis",
                    goals=[_goal(1, "KdU", text="Zeile 1\r\nZeile 2", target_value="22.10")])
    new = _snapshot(preamble="Das Land\nund der Kreis",
                    goals=[_goal(1, "KdU", text="Zeile 1\nZeile 2", target_value="22.1")])
    result = compare_snapshots(old, new)
    assert not result["has_changes"]
    assert [g["status"] for g in result["goals"]] == ["unchanged"]
    assert same_value("target_value", "22.10", "22.1") and not same_value("target_value", "22.1", "22.2")
    assert same_value("text", "a\r\nb", "a\nb") and not same_value("text", "a b", "a\nb")
    # Not a number after all: compared as text, never a failure.
    assert not same_value("target_value", "viel", "wenig") and same_value("target_value", "NaN", "NaN")


def test_it_names_the_changed_fields_of_a_goal():
    old = _snapshot(goals=[_goal(1, "KdU", target_value="22.1", corridor_high="23"), _goal(2, "K3")])
    new = _snapshot(goals=[_goal(1, "KdU", target_value="22.5", corridor_high="24", text="neu"),
                           _goal(2, "K3"), _goal(3, "K2")])
    goals = compare_snapshots(old, new)["goals"]
    assert [(g["title"], g["status"]) for g in goals] == [("KdU", "changed"), ("K3", "unchanged"), ("K2", "added")]
    # In the order of ITEM_FIELDS, by their labels.
    assert [str(label) for label in goals[0]["changed_labels"]] == ["Text", "Korridor obere Grenze", "Zielwert"]
    assert goals[1]["changed_labels"] == [] and goals[2]["changed_labels"] == []
    assert [(g["old_index"], g["new_index"]) for g in goals] == [(0, 0), (1, 1), (None, 2)]


def test_it_names_the_reason_for_a_target_value_outside_the_corridor():
    # A Fassung sent before the reason existed has no such key; nor has a goal without a reason.
    old = _snapshot(goals=[_goal(1, "KdU", corridor_low="24", corridor_high="26", target_value="25")])
    new = _snapshot(goals=[_goal(1, "KdU", corridor_low="24", corridor_high="26", target_value="40",
                                 corridor_exception_reason="Sondereffekt")])
    [goal] = compare_snapshots(old, new)["goals"]
    assert [str(label) for label in goal["changed_labels"]] == [
        "Zielwert", "Begründung für den Zielwert außerhalb des Korridors"]
    fields = {f["name"]: f for f in goal["fields"]}
    assert "Sondereffekt" in str(fields["corridor_exception_reason"]["redline"])
    assert not compare_snapshots(old, old)["has_changes"]


def test_it_falls_back_to_whole_blocks_on_a_pathological_input():
    # One line, one sentence, 2,100 different words on each side: more pairs of words than _MAX_WORK allows.
    old = " ".join(f"alt{n}" for n in range(2100))
    new = " ".join(f"neu{n}" for n in range(2100))
    assert 2100 * 2100 > redline._MAX_WORK
    start = time.monotonic()
    html = _strip_hidden(diff_text(old, new))
    assert time.monotonic() - start < 2
    assert html == f"<del>{old}</del><ins>{new}</ins>"


# --- properties (hypothesis) -------------------------------------------------------------------------------

_MARK = re.compile(r"(</?(?:ins|del)>)")


def _read(html):
    """(old text, new text, marks) read back from marked html: text outside a mark is on both sides, a <del>'s
    on the old one, an <ins>'s on the new one. A mark is (element, start, end) in its side's text."""
    sides = {"old": [], "new": []}
    marks, open_mark = [], None
    for part in _MARK.split(_strip_hidden(html)):
        if part in ("<ins>", "<del>"):
            assert open_mark is None, "a mark inside a mark"
            element = part[1:-1]
            side = "new" if element == "ins" else "old"
            open_mark = (element, side, len("".join(sides[side])))
        elif part in ("</ins>", "</del>"):
            element, side, start = open_mark
            assert part[2:-1] == element
            marks.append((element, start, len("".join(sides[side]))))
            open_mark = None
        else:
            assert "<" not in part and ">" not in part, "unescaped text"
            text = unescape(part)
            for side in ("old", "new"):
                if open_mark is None or open_mark[1] == side:
                    sides[side].append(text)
    assert open_mark is None
    return "".join(sides["old"]), "".join(sides["new"]), marks


def _at_word_boundary(text, position):
    """Not between two non-whitespace characters: a cut here splits no word."""
    return position in (0, len(text)) or text[position - 1].isspace() or text[position].isspace()


def _normalised(text):
    """The line-ending normalisation the redline applies before comparing: "\r\n" and a lone "\r" become "\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


CHARACTERS = list("aäbzßAZ09.,;:!?§%&<>\"'-–„“()/#*") + [
    " ", " ", "  ", "\t", "\n", "\n", "\r\n", "\r", "\xa0", "\u2028", "\u3000", "😀", "e\u0301", "\x00", "\x1c",
]
WORDS = ["14.01.2012", "23.01.2013", "Kreises,", "Kreises.", "der", "die", "§", "4", "K2", "22,5", "<b>", "&amp;",
         "ME-aktiv", "–", "„Leitziel“", "Ende."]
SEPARATORS = [" ", " ", "  ", "\n", "\r\n", "\r", "\t", "\xa0", "\n\n", "\r\n\r\n", "\u2028", ""]

# Made of CHARACTERS (some of them several code points: "\r\n", a combining accent), so not always a word.
words = st.one_of(st.sampled_from(WORDS), st.lists(st.sampled_from(CHARACTERS), min_size=1, max_size=6).map("".join))
pieces = st.lists(st.tuples(words, st.sampled_from(SEPARATORS)), max_size=25)


@st.composite
def text_pairs(draw):
    """Two texts: unrelated, or the second an edit of the first (words replaced, inserted, deleted, line endings
    changed), which is what a negotiation produces."""
    old = draw(pieces)
    if draw(st.integers(0, 3)) == 0:
        new = draw(pieces)
    else:
        new = list(old)
        for _ in range(draw(st.integers(0, 6))):
            at = draw(st.integers(0, len(new)))
            action = draw(st.sampled_from(["insert", "delete", "replace", "separator"]))
            if action == "insert" or not new or at == len(new):
                new.insert(at, (draw(words), draw(st.sampled_from(SEPARATORS))))
            elif action == "delete":
                del new[at]
            elif action == "replace":
                new[at] = (draw(words), new[at][1])
            else:
                new[at] = (new[at][0], draw(st.sampled_from(SEPARATORS)))
    join = "".join
    pair = (join(w + sep for w, sep in old), join(w + sep for w, sep in new))
    # Any unicode at all, now and then.
    return draw(st.one_of(st.just(pair), st.tuples(st.text(max_size=40), st.text(max_size=40))))


def _check_views(old, new):
    old_n, new_n = _normalised(old), _normalised(new)
    views = diff_views(old, new)
    # The "new" and "old" views are the texts themselves (escaped, line endings normalised), unmarked.
    assert unescape(str(views["new"])) == new_n
    assert unescape(str(views["old"])) == old_n
    assert "<" not in str(views["new"]) + str(views["old"])
    # The marked changes: without the insertions the old text, without the deletions the new one; the side by
    # side view likewise, each side with its own kind of mark only.
    read_old, read_new, marks = _read(views["changes"])
    assert (read_old, read_new) == (old_n, new_n)
    left, right = diff_sides(old, new)
    left_old, _, left_marks = _read(left)
    _, right_new, right_marks = _read(right)
    assert left_old == old_n and right_new == new_n
    assert {element for element, _, _ in left_marks} <= {"del"}
    assert {element for element, _, _ in right_marks} <= {"ins"}
    # No mark splits a word, on its own side.
    for element, start, end in marks + left_marks + right_marks:
        text = old_n if element == "del" else new_n
        assert start < end, "an empty mark"
        assert _at_word_boundary(text, start) and _at_word_boundary(text, end), (element, text[start:end], text)
    if old_n == new_n:
        assert not marks


PROPERTY_SETTINGS = settings(
    max_examples=250, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(text_pairs())
def test_property_the_views_give_back_both_texts_and_marks_never_split_a_word(pair):
    _check_views(*pair)


@PROPERTY_SETTINGS
@given(text_pairs())
def test_property_the_same_holds_when_the_work_guard_replaces_blocks_whole(pair):
    # So few pairs allowed that most lines, sentences or word runs fall back to "replaced whole".
    with mock.patch.object(redline, "_MAX_WORK", 4):
        _check_views(*pair)

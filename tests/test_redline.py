"""Redline: pure functions over texts and snapshots, no database."""

import re

from agreements.text.redline import compare_snapshots, diff_sides, diff_text


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
    assert re.search(r"<del>.*steigen</del><ins>.*sinken</ins>", html)
    assert html.startswith("Die Quote soll ")
    assert html.endswith(".")


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

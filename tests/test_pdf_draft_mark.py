"""The draft mark of the Vorlage PDF (agreements/pdf/vorlage.py, templates/pdf/vorlage.html).

A Vorlage never released prints "ENTWURF" in the header of every page and "Entwurf – nicht freigegeben, Stand
<Datum, Uhrzeit>" on its first page; the released paper, stored once with its SHA-256 by the release step, carries
neither, and the draft cache never hands out one for the other.
"""

import datetime
import hashlib
import re

from django.utils import timezone

from agreements import models as m
from agreements.infra.files import read_document
from agreements.pdf import cache
from agreements.pdf import vorlage as vorlage_pdf
from agreements.pdf.vorlage import render_vorlage, vorlage_html
from agreements.services import vorlagen as vorlage_svc

from .builders_files import page_texts, pdf_text, squash
from .vorlage_builders import make_vorlage, vorlage_world

STAND = re.compile(r"Entwurf–nichtfreigegeben,Stand(\d\d\.\d\d\.\d{4}),(\d\d:\d\d)Uhr")


def test_a_draft_is_marked_on_every_page_and_its_released_pdf_is_not(world, settings):
    vorlage = make_vorlage(vorlage_world(world), sections=12, anlagen=0)
    vorlage.sections.update(text="Ein längerer Absatz der Sachverhaltsdarstellung. " * 40)
    before = timezone.localtime()

    draft = render_vorlage(vorlage)

    pages = page_texts(draft.content)
    assert len(pages) >= 2
    assert all("ENTWURF" in page for page in pages), [page[:80] for page in pages]
    stand = STAND.search(squash(pages[0]))
    assert stand, pages[0][:300]
    assert stand.group(1) == f"{before:%d.%m.%Y}" or before.date() != timezone.localdate()
    assert not any(STAND.search(squash(page)) for page in pages[1:])

    released = vorlage_svc.release(user=world.users.editor, vorlage=vorlage)

    stored = read_document(released.main_file)
    assert hashlib.sha256(stored).hexdigest() == released.main_file.sha256
    text = pdf_text(stored)
    assert "Vorlagen Nr." in text
    assert "ENTWURF" not in text and "Entwurf" not in squash(text)
    assert stored != draft.content
    # The released paper is the same paper, without the mark.
    assert squash(text) == squash(pdf_text(draft.content)).replace(stand.group(0), "").replace("ENTWURF", "")


def test_the_released_paper_is_never_served_from_the_draft_cache(world, settings, monkeypatch):
    vorlage = make_vorlage(vorlage_world(world), anlagen=0)
    built = []

    def fake_pdf(html):
        built.append(html)
        return b"%PDF-1.7\n" + hashlib.sha256(html.encode()).hexdigest().encode() + b"\n%%EOF\n"

    monkeypatch.setattr(vorlage_pdf, "html_to_pdf", fake_pdf)
    draft = render_vorlage(vorlage, use_cache=True)
    final = render_vorlage(vorlage, use_cache=True, draft=False)
    assert len(built) == 2 and draft.content != final.content
    assert "ENTWURF" in built[0] and "ENTWURF" not in built[1] and "Entwurf" not in built[1]
    # The key names the mark, whatever the HTML.
    assert cache.cache_key(vorlage_pdf.cache_key_parts("x", draft=True)) != cache.cache_key(
        vorlage_pdf.cache_key_parts("x", draft=False))
    # An unchanged draft comes from the cache, with the Stand of its first rendering.
    assert render_vorlage(vorlage).content == draft.content and len(built) == 2


def test_the_stand_is_german_and_filled_in_when_rendered(world, settings):
    vorlage = make_vorlage(vorlage_world(world), anlagen=0)
    moment = timezone.make_aware(datetime.datetime(2013, 5, 14, 9, 5), datetime.UTC)  # 11:05 in Berlin
    assert vorlage_pdf.stand_text(moment) == "14.05.2013, 11:05 Uhr"
    html = vorlage_html(vorlage)
    assert "Entwurf – nicht freigegeben, Stand " in html and vorlage_pdf.STAND_SLOT not in html
    assert "ENTWURF" not in vorlage_html(vorlage, draft=False)
    assert "Entwurf" not in vorlage_html(vorlage, draft=False)


def test_a_vorlage_withdrawn_as_a_draft_stays_marked_and_a_released_one_is_not(world, settings):
    vw = vorlage_world(world)
    withdrawn = make_vorlage(vw, anlagen=0)
    m.Vorlage.objects.filter(pk=withdrawn.pk).update(status=m.Vorlage.Status.WITHDRAWN)
    assert vorlage_pdf.is_draft(m.Vorlage.objects.get(pk=withdrawn.pk))
    released = make_vorlage(vw, anlagen=0, status=m.Vorlage.Status.IN_CONSULTATION)
    assert not vorlage_pdf.is_draft(released)
    assert "ENTWURF" not in vorlage_html(released)

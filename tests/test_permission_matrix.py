"""The permission matrix: every named URL of the app, asked by every role of tests/conftest.py with a GET and with
an empty POST (the test client does not check CSRF tokens).

The expected answers are written out below as data. They are derived from the rules in agreements/policy/access.py,
agreements/policy/vorlage_access.py, agreements/views/base.py and the views, not recorded from the server. A URL name of
agreements.urls without an entry fails (test_every_url_has_an_entry and its own test_matrix cases), and so does an
entry whose URL is gone. The OParl API is not in agreements.urls (zielsteuerung/urls.py mounts it separately) and
has its own tests in test_oparl.py.

The rules, in short:
- Anonymous users are sent to the login page (302) from every page that is not public, whatever the method.
- An outsider (editor of another county) gets 404 for the county's agreement: its existence is not revealed. So
  does the committee member, who is party to no agreement.
- A reader gets 403 on every write; so does the superuser, who reads everything and acts for no party.
- Read-only pages answer POST with 405 and POST-only actions answer GET with 405, always after the access check
  (an outsider still gets 404, a reader 403).
- Released public Vorlagen are readable by everybody, without login. Released non-public ones by the authoring
  party's members, current members of a committee in the Beratungsfolge and superusers; drafts by the authoring
  party's members and superusers. Whoever may not read gets 404 (anonymous users: the login page).
- The audit log is for superusers only: 404 for everybody else, before the method is looked at.
- The negotiation has a party "am Zug" (Agreement.pen_holder_id; services.transitions.AGREEMENT): only its editors
  write the working text (header, sections, goals, offers) and send it as a Fassung; the editors of the other
  parties propose instead, and the party am Zug decides their proposals (access.can_decide_proposal, 403 for the
  others). A Fassung is accepted ("abstimmen") by a party that received it, never by the one that sent it. In the
  world the county (editor) is am Zug, the ministry is not.
- An editor whose party may take an action, but not now (it is not am Zug, or it sent the Fassung itself), is sent
  back to the agreement's page with the reason as an error message: for a form on GET and POST alike, for a
  POST-only button on POST (GET: 405, as always).

The state: every case is asked in the state in which its action is open for the party that may take it (STATE
below), so that the editors' answers mean something. For an editor's (or the ministry's) empty POST:
- 200: the form again, with its errors ("required"): the test checks that the form in the answer is bound and
  invalid, so an empty POST is never mistaken for no POST.
- 302: a button action that was allowed and done; the test checks that no error message came with it.
- ASKS: the confirmation page (templates/confirm.html, status 200) of an irreversible action that is allowed:
  sending a Fassung, accepting it (its page is the confirmation itself), releasing a Vorlage, deleting a section,
  goal or offer. Nothing is done until the confirming POST (tests/test_confirm.py); whoever may not act gets the
  refusal instead, never the question.
- REFUSED: a 302 back to a page of the agreement that carries an error message: the action is not open for this
  party now (see above). A 302 with an error message where 302 is expected, or one without where REFUSED is,
  fails the case.
- 405: the page only reads.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.messages import ERROR, get_messages
from django.urls import reverse
from django.utils.html import escape

from agreements import models as m
from agreements import urls as app_urls
from agreements.data.demo import signing as demo_signing
from agreements.services import calendar_feed, lifecycle, versions

from .builders_files import pdf_bytes
from .builders_lifecycle import agree, sign_data
from .factories import ROLES, DocumentFactory, aware
from .vorlage_builders import stub_pdfs

pytestmark = pytest.mark.django_db

A = m.Agreement.Status
V = m.Vorlage.Status

LOGIN = (302, 302)  # anonymous: the login page, for GET and POST alike
HIDDEN = (404, 404)  # may not read: existence not revealed
DENIED = (403, 403)  # may read, may not write (or may not act at all)
READS = (200, 405)  # a read-only page
FORM = (200, 200)  # a form page; the empty POST gets the form again
BUTTON = (405, 302)  # a POST-only action: GET refused after the access check, POST done
REFUSED = "302 with an error message"  # back to the agreement's page, with the reason the action is not open now
ASKS = "200 with the confirmation page"  # an irreversible action, allowed: the question first, nothing done
NOT_NOW = (REFUSED, REFUSED)  # a form whose action is not open for this party now: refused on GET and POST
BUTTON_NOT_NOW = (405, REFUSED)  # a POST-only action not open for this party now: GET 405, POST refused

# --- Categories: per role the (GET, POST) answers --------------------------------------------------------------

# Pages for everybody, without login (and the login page itself).
PUBLIC_PAGE = dict.fromkeys(ROLES, READS)
# Pages for every logged-in user, each seeing what they may (dashboard, lists, overview, search).
LOGGED_IN_PAGE = dict(dict.fromkeys(ROLES, READS), anonymous=LOGIN)
LOGGED_IN_FORM = dict(dict.fromkeys(ROLES, FORM), anonymous=LOGIN)

# A page of the agreement: parties' members and superusers read, the method is checked after access.
AGREEMENT_PAGE = dict(anonymous=LOGIN, outsider=HIDDEN, reader=READS, editor=READS, ministry=READS,
                      committee=HIDDEN, admin=READS)
# A form writing the agreement (in negotiation, so its content may change) outside the working text: statements,
# letters, documents, steps, lifecycle steps. The editors of both parties.
AGREEMENT_FORM = dict(anonymous=LOGIN, outsider=HIDDEN, reader=DENIED, editor=FORM, ministry=FORM,
                      committee=HIDDEN, admin=DENIED)
# A button on the agreement (delete, move, lifecycle step): POST only, checked after the access check.
AGREEMENT_BUTTON = dict(AGREEMENT_FORM, editor=BUTTON, ministry=BUTTON)
# A form writing the working text (header, sections, goals, offers): the editors of the party am Zug, the county;
# the ministry's editor is sent back with "Am Zug ist Kreis Mettmann …".
TEXT_FORM = dict(AGREEMENT_FORM, ministry=NOT_NOW)
# A button on the working text (delete, move; sending it as a Fassung): the county's editor, not the ministry's.
TEXT_BUTTON = dict(AGREEMENT_BUTTON, ministry=BUTTON_NOT_NOW)
# Such a button whose action cannot be undone (deleting, sending): the county's editor is asked first.
TEXT_BUTTON_ASKS = dict(TEXT_BUTTON, editor=(405, ASKS))
# A new agreement: every user with an editor membership; superusers act for no party.
AGREEMENT_CREATE = dict(anonymous=LOGIN, outsider=FORM, reader=DENIED, editor=FORM, ministry=FORM,
                        committee=DENIED, admin=DENIED)

# Reading a Vorlage of the county's Fachbereich 50, by its state.
VORLAGE_DRAFT_PAGE = dict(anonymous=LOGIN, outsider=HIDDEN, reader=READS, editor=READS, ministry=HIDDEN,
                          committee=HIDDEN, admin=READS)
VORLAGE_NONPUBLIC_PAGE = dict(VORLAGE_DRAFT_PAGE, committee=READS)
VORLAGE_PUBLIC_PAGE = PUBLIC_PAGE
# Changing the draft: the editors of the authoring party (the county); the ministry, party to the agreement only,
# may not even read the draft.
VORLAGE_FORM = dict(anonymous=LOGIN, outsider=HIDDEN, reader=DENIED, editor=FORM, ministry=HIDDEN,
                    committee=HIDDEN, admin=DENIED)
# A button on the draft: POST only, checked after the access check.
VORLAGE_BUTTON = dict(VORLAGE_FORM, editor=BUTTON)
# A new Vorlage: editors of a party with a Fachbereich. Only the county has one in this world, so the outsider
# and the ministry (editors, but without a department) are refused like the reader.
VORLAGE_CREATE = dict(anonymous=LOGIN, outsider=DENIED, reader=DENIED, editor=FORM, ministry=DENIED,
                      committee=DENIED, admin=DENIED)

# The audit log: superusers only; everybody else gets 404, even for a POST (405 would tell that it exists).
AUDIT_PAGE = dict(dict.fromkeys(ROLES, HIDDEN), anonymous=LOGIN, admin=READS)


# The views of two Fassungen (forms.versions.MODES), asked with ?mode=.
VERSION_VIEWS = ("inline", "side", "new", "old")


def but(category, **roles):
    """The category with some roles' answers replaced."""
    return dict(category, **roles)


# --- The matrix: one entry per URL name (a name with ":variant" is the same URL on another object) -----------------

MATRIX = {
    # Start page (@require_safe).
    "dashboard": LOGGED_IN_PAGE,
    # Django's auth views. Logging in is for everybody (a logged-in user just sees the form again); logging out is
    # POST only (Django 5) and redirects to the login page (LOGOUT_REDIRECT_URL).
    "login": dict.fromkeys(ROLES, FORM),
    "logout": dict.fromkeys(ROLES, (405, 302)),
    "password_change": LOGGED_IN_FORM,
    "password_change_done": LOGGED_IN_PAGE,  # a TemplateView: no post()
    # Agreements.
    "agreement_list": LOGGED_IN_PAGE,
    "agreement_create": AGREEMENT_CREATE,
    "agreement_detail": AGREEMENT_PAGE,
    "agreement_edit": TEXT_FORM,
    "section_add": TEXT_FORM,
    "section_edit": TEXT_FORM,
    "section_delete": TEXT_BUTTON_ASKS,
    "section_move": TEXT_BUTTON,
    "agreement_goals": AGREEMENT_PAGE,
    "goal_add": TEXT_FORM,
    "goal_edit": TEXT_FORM,
    "goal_delete": TEXT_BUTTON_ASKS,
    "goal_move": TEXT_BUTTON,
    "agreement_offers": AGREEMENT_PAGE,
    "offer_add": TEXT_FORM,
    "offer_edit": TEXT_FORM,
    "offer_delete": TEXT_BUTTON_ASKS,
    "offer_move": TEXT_BUTTON,
    "agreement_versions": AGREEMENT_PAGE,
    "version_compare": AGREEMENT_PAGE,
    # Its views of two Fassungen (?mode=, QUERY below): the changes in the text or side by side, the new or the old
    # text alone.
    **{f"version_compare:{mode}": AGREEMENT_PAGE for mode in VERSION_VIEWS},
    # The party am Zug sends its working text; the note is optional, so the empty POST is asked to confirm.
    "draft_send": TEXT_BUTTON_ASKS,
    "version_detail": AGREEMENT_PAGE,
    # The same views of a Fassung and the one before it (STATE: the county has sent Fassung 2).
    **{f"version_detail:{mode}": AGREEMENT_PAGE for mode in VERSION_VIEWS},
    "agreement_proposals": AGREEMENT_PAGE,
    # Proposals come from the party that is not am Zug (the ministry); the county, am Zug, changes the text itself.
    "proposal_add": but(AGREEMENT_FORM, editor=NOT_NOW),
    # The same form asking for the exact change to a section or a goal (?abschnitt= / ?ziel=, QUERY below).
    "proposal_add:section": but(AGREEMENT_FORM, editor=NOT_NOW),
    "proposal_add:goal": but(AGREEMENT_FORM, editor=NOT_NOW),
    # The proposal is the ministry's: the county, am Zug, decides; the ministry's editor may not (403).
    "proposal_decide": but(AGREEMENT_FORM, ministry=DENIED),
    "agreement_statements": AGREEMENT_PAGE,
    "statement_add": AGREEMENT_FORM,
    "statement_edit": AGREEMENT_FORM,
    "agreement_timeline": AGREEMENT_PAGE,
    "step_add": AGREEMENT_FORM,
    "step_edit": AGREEMENT_FORM,  # a step entered by hand (not automatic)
    "agreement_history": AGREEMENT_PAGE,
    "agreement_letters": AGREEMENT_PAGE,
    "letter_add": AGREEMENT_FORM,
    "letter_edit": AGREEMENT_FORM,
    "agreement_documents": AGREEMENT_PAGE,
    "document_upload": AGREEMENT_FORM,
    # A document of the agreement: readable by whoever reads the agreement.
    "document_download": AGREEMENT_PAGE,
    # Lifecycle. The county has sent its Fassung (STATE): the ministry, which received it, accepts it; the page is
    # the confirmation, and the empty POST (the note is optional) is asked again. The county, its sender, is refused.
    "agreement_agree": but(AGREEMENT_FORM, editor=NOT_NOW, ministry=(ASKS, ASKS)),
    "agreement_reopen": AGREEMENT_FORM,  # a reason is required
    "agreement_sign": AGREEMENT_FORM,  # date and place are required
    # The electronic signatures of the agreement (signed by both parties in agreement_extras): whoever reads it.
    "agreement_signature_check": AGREEMENT_PAGE,
    "agreement_signature_receipt": AGREEMENT_PAGE,
    "agreement_refuse": AGREEMENT_FORM,
    "agreement_withdraw": AGREEMENT_FORM,
    "agreement_start": AGREEMENT_BUTTON,
    "agreement_close": AGREEMENT_BUTTON,
    "agreement_amend": AGREEMENT_BUTTON,
    "agreement_derive": AGREEMENT_BUTTON,
    # The checklist of a follow-on (a copied passage in the world, agreement_extras): whoever reads the agreement
    # reads it; the editors of the party am Zug tick passages off (the empty POST gets the form's error), the
    # ministry's editor is sent back with "Am Zug ist …".
    "follow_on_review": but(AGREEMENT_FORM, reader=(200, 403), admin=(200, 403), ministry=(200, REFUSED)),
    "agreement_reviews": AGREEMENT_PAGE,
    "review_add": AGREEMENT_FORM,  # kind and date are required
    # Deadlines (AGREEMENT's "deadline"): every editor of a party sets, changes and closes them while the agreement
    # runs; closing one asks first (it cannot be undone).
    "agreement_deadlines": AGREEMENT_PAGE,
    "deadline_add": AGREEMENT_FORM,
    "deadline_edit": AGREEMENT_FORM,
    "deadline_close": but(AGREEMENT_BUTTON, editor=(405, ASKS), ministry=(405, ASKS)),
    # The calendar feed: the settings page for every logged-in user; renewing the address asks first; the feed
    # itself needs no login, only the token (the editor's here), and only reads.
    "calendar_settings": LOGGED_IN_PAGE,
    "calendar_renew": dict(dict.fromkeys(ROLES, (405, ASKS)), anonymous=LOGIN),
    "calendar_feed": PUBLIC_PAGE,
    # Vorlagen: lists.
    "vorlage_list": LOGGED_IN_PAGE,
    "vorlage_public_list": PUBLIC_PAGE,
    "vorlage_meetings": LOGGED_IN_PAGE,
    "vorlage_past_meetings": LOGGED_IN_PAGE,  # the past meetings of the user's committees (none: an empty list)
    "vorlage_create": VORLAGE_CREATE,
    "vorlage_create_from_agreement": VORLAGE_CREATE,
    # Vorlagen: reading, for a draft, a released public and a released non-public Vorlage.
    "vorlage_detail:draft": VORLAGE_DRAFT_PAGE,
    "vorlage_detail:public": VORLAGE_PUBLIC_PAGE,
    "vorlage_detail:nonpublic": VORLAGE_NONPUBLIC_PAGE,
    "vorlage_pdf:draft": VORLAGE_DRAFT_PAGE,
    "vorlage_pdf:public": VORLAGE_PUBLIC_PAGE,
    "vorlage_pdf:nonpublic": VORLAGE_NONPUBLIC_PAGE,
    "vorlage_bundle:draft": VORLAGE_DRAFT_PAGE,
    "vorlage_bundle:public": VORLAGE_PUBLIC_PAGE,
    "vorlage_bundle:nonpublic": VORLAGE_NONPUBLIC_PAGE,
    "vorlage_anlage_download:draft": VORLAGE_DRAFT_PAGE,
    "vorlage_anlage_download:public": VORLAGE_PUBLIC_PAGE,
    "vorlage_anlage_download:nonpublic": VORLAGE_NONPUBLIC_PAGE,
    # Vorlagen: writing the draft.
    "vorlage_edit": VORLAGE_FORM,
    "vorlage_section_add": VORLAGE_FORM,
    "vorlage_section_edit": VORLAGE_FORM,
    "vorlage_section_delete": VORLAGE_BUTTON,
    "vorlage_section_move": VORLAGE_BUTTON,
    "vorlage_consultation_add": VORLAGE_FORM,
    "vorlage_consultation_edit": VORLAGE_FORM,
    "vorlage_consultation_delete": VORLAGE_BUTTON,
    "vorlage_consultation_move": VORLAGE_BUTTON,
    "vorlage_anlage_add": VORLAGE_FORM,
    "vorlage_anlage_edit": VORLAGE_FORM,
    "vorlage_anlage_delete": VORLAGE_BUTTON,
    "vorlage_anlage_move": VORLAGE_BUTTON,
    # Vorlagen: results and lifecycle. On a released Vorlage whoever may read it but not write gets 403: on a
    # public one also the outsider and the ministry, on a non-public one the committee member.
    "vorlage_consultation_result:public": but(VORLAGE_FORM, outsider=DENIED, ministry=DENIED, committee=DENIED),
    "vorlage_consultation_result:nonpublic": but(VORLAGE_FORM, committee=DENIED),
    # The next consultation of a postponed one (STATE: the non-public paper in Beratung, its consultation
    # "vertagt"): the county's editors; the committee's member reads the paper, may not write (403).
    "vorlage_consultation_follow_up": but(VORLAGE_FORM, committee=DENIED),
    "vorlage_release": but(VORLAGE_BUTTON, editor=(405, ASKS)),
    "vorlage_start": but(VORLAGE_BUTTON, committee=DENIED),  # the non-public one, released: its committee reads
    # Completing asks first (it cannot be undone), naming the results.
    "vorlage_complete": but(VORLAGE_BUTTON, outsider=DENIED, ministry=DENIED, committee=DENIED,  # public: all read
                            editor=(405, ASKS)),
    "vorlage_withdraw": VORLAGE_FORM,  # the draft; a reason is required
    # Overview and exports (@require_safe): every logged-in user, over the agreements they may see.
    "overview_board": LOGGED_IN_PAGE,
    "overview_compare": LOGGED_IN_PAGE,
    "overview_export": LOGGED_IN_PAGE,
    "agreement_list_export": LOGGED_IN_PAGE,
    # Audit log.
    "audit_log": AUDIT_PAGE,
    "audit_log_csv": AUDIT_PAGE,
    # Full-text search (@require_safe): logged-in users only, the index holds internal records.
    "search": LOGGED_IN_PAGE,
}

# The state each case is asked in. Default: the agreement in negotiation with the county am Zug, the draft Vorlage.
# agreement: the agreement's status; sent_by: the role whose party sends its working text as a Fassung first
# (services.versions.send_draft), which passes the pen to the other party; vorlage: which Vorlage ("draft", "public",
# "nonpublic"; both released);
# vorlage_status: its status, written past the model's guard as the lifecycle would have left it; results: every
# consultation has its result (what "erledigt" needs); postponed: the consultation was postponed ("vertagt").
STATE = {
    "agreement_agree": dict(sent_by="editor"),
    **{f"version_detail:{mode}": dict(sent_by="editor") for mode in VERSION_VIEWS},
    "agreement_reopen": dict(agreement=A.AGREED),
    "agreement_sign": dict(agreement=A.AGREED),
    "agreement_refuse": dict(agreement=A.AGREED),
    "agreement_start": dict(agreement=A.SIGNED),
    "agreement_amend": dict(agreement=A.SIGNED),
    "review_add": dict(agreement=A.SIGNED),
    "agreement_close": dict(agreement=A.EVALUATED),
    "vorlage_consultation_result:public": dict(vorlage="public", vorlage_status=V.IN_CONSULTATION),
    "vorlage_consultation_result:nonpublic": dict(vorlage="nonpublic"),
    "vorlage_consultation_follow_up": dict(vorlage="nonpublic", vorlage_status=V.IN_CONSULTATION, postponed=True),
    "vorlage_release": dict(agreement=A.SIGNED),  # the draft reports the signed agreement
    "vorlage_start": dict(vorlage="nonpublic"),
    "vorlage_complete": dict(vorlage="public", vorlage_status=V.IN_CONSULTATION, results=True),
    **{f"{name}:{variant}": dict(vorlage=variant)
       for name in ("vorlage_detail", "vorlage_pdf", "vorlage_bundle", "vorlage_anlage_download")
       for variant in ("draft", "public", "nonpublic")},
}


def url_patterns():
    """The same list test_fuzz_forms walks: every named pattern of the app."""
    return [p for p in app_urls.urlpatterns if p.name]


def url_name(case):
    return case.split(":")[0]


def cases():
    """The matrix's cases in URL order, then any URL name the matrix does not know (those fail, naming it)."""
    order = {p.name: i for i, p in enumerate(url_patterns())}
    known = sorted(MATRIX, key=lambda case: (order.get(url_name(case), len(order)), case))
    missing = [p.name for p in url_patterns() if not any(url_name(case) == p.name for case in MATRIX)]
    return known + missing


# --- The world ---------------------------------------------------------------------------------------------------


def _vorlage(w, *, running_number, name, agreement=None, public=True, second_items=False):
    """A draft of Fachbereich 50 with a section, a consultation in the Sozialausschuss and an Anlage."""
    vorlage = m.Vorlage.objects.create(
        department=w.department, year=2012, running_number=running_number, author=w.author,
        date=datetime.date(2012, 4, 19), name=name, agreement=agreement, public=public,
        non_public_reason="" if public else "Personalangelegenheit", resolution="Kenntnisnahme",
        occasion="Anlass", conclusion="Fazit",
    )
    count = 2 if second_items else 1  # a second item of each list, so that "move down" has somewhere to go
    parts = SimpleNamespace(vorlage=vorlage)
    for order in range(1, count + 1):
        section = m.VorlageSection.objects.create(vorlage=vorlage, order=order, heading=f"{order}. Abschnitt",
                                                  text="Text")
        consultation = m.Consultation.objects.create(paper=vorlage, committee=w.committee, meeting=w.meeting,
                                                     order=order, role=m.Consultation.Role.NOTICE)
        # The first Anlage has a file; the second one is only listed, which is enough for a move.
        document = DocumentFactory(content=pdf_bytes(), kind=m.Document.Kind.ANNEX, title=f"Anlage {order}",
                                   original_filename=f"anlage-{order}.pdf") if order == 1 else None
        anlage = m.VorlageAnlage.objects.create(vorlage=vorlage, order=order, title=f"Anlage {order}",
                                                document=document)
        if order == 1:
            parts.section, parts.consultation, parts.anlage = section, consultation, anlage
    return parts


def _release(parts):
    """What a release would have left: status, time and the stored PDF (so no GET renders one)."""
    main = DocumentFactory(content=pdf_bytes(), kind=m.Document.Kind.VORLAGE,
                           title=f"Vorlage {parts.vorlage.reference}", original_filename="vorlage.pdf")
    m.Vorlage.objects.filter(pk=parts.vorlage.pk).update(status=V.RELEASED, released_at=aware(2012, 5, 2),
                                                         main_file=main)


@pytest.fixture
def matrix_world(world, monkeypatch):
    """The world of conftest; what else a case's URL takes is built by prepare(), for that case only."""
    stub_pdfs(monkeypatch)  # the draft's PDF and the bundles are rendered on the fly: stand-ins will do
    return world


def agreement_extras(case, w):
    """A document of the agreement (for the download and the documents tab), and a second section, goal and offer
    for the moves, so that "move down" has somewhere to go."""
    name = url_name(case)
    if name in ("document_download", "agreement_documents"):
        w.document = DocumentFactory(agreement=w.agreement, title="Anlage Liga", original_filename="liga.pdf",
                                     content=pdf_bytes())
    if name == "section_move":
        m.AgreementSection.objects.create(agreement=w.agreement, order=2, heading="§ 2 Ziele", text="")
    if name == "goal_move":
        m.Goal.objects.create(agreement=w.agreement, order=2, title="Zweites Ziel", kind="qualitativ")
    if name == "offer_move":
        m.SupportOffer.objects.create(agreement=w.agreement, topic=w.topic, title="Zweites Angebot", order=2)
    if name in ("deadline_edit", "deadline_close"):
        w.deadline = m.Deadline.objects.create(agreement=w.agreement, kind=m.Deadline.Kind.SIGNATURE,
                                               due=datetime.date(2013, 6, 28), owner=w.county)
    if name in ("agreement_signature_check", "agreement_signature_receipt"):
        demo_signing.install(settings.DEMO_SIGNING_DIR, [w.ministry, w.county])
        agree(w)
        lifecycle.sign(user=w.users.ministry, agreement=w.agreement, data=sign_data("Anna Land", "Referatsleiterin"))
        lifecycle.sign(user=w.users.editor, agreement=w.agreement, data=sign_data())
    if name == "follow_on_review":
        m.CopiedPassage.objects.create(agreement=w.agreement, kind=m.CopiedPassage.Kind.PREAMBLE,
                                       content=[{"field": "preamble", "text": "Für das Jahr 2013."}])


def vorlage_parts(w, variant):
    """Fachbereich 50 of the county with its author (the editor), a meeting of the Sozialausschuss, and the Vorlage
    the case asks for: the draft written from the agreement, or a released public or non-public one; each in the
    Sozialausschuss's Beratungsfolge."""
    w.department = m.Department.objects.create(party=w.county, number="50", name="Sozialamt")
    w.author = m.Person.objects.create(party=w.county, department=w.department, family_name="Gansauer",
                                       given_name="Ulrike", function="Bearbeiterin", user=w.users.editor)
    w.meeting = m.Meeting.objects.create(committee=w.committee, name="Sitzung", start=aware(2031, 5, 20, 15))
    if variant == "draft":
        return _vorlage(w, running_number=15, name="Zielsteuerung 2012", agreement=w.agreement, second_items=True)
    parts = _vorlage(w, running_number=16, name=variant, public=variant == "public")
    _release(parts)
    return parts


def prepare(case, w):
    """Puts the objects into the state in which the case's action is open; the Vorlage's parts, if it needs any."""
    state = STATE.get(case, {})
    if "agreement" in state:
        m.Agreement.objects.filter(pk=w.agreement.pk).update(status=state["agreement"])
    if "sent_by" in state:
        versions.send_draft(user=getattr(w.users, state["sent_by"]), agreement=w.agreement)
    if not url_name(case).startswith("vorlage"):
        agreement_extras(case, w)
        return None
    parts = vorlage_parts(w, state.get("vorlage", "draft"))
    if "vorlage_status" in state:
        m.Vorlage.objects.filter(pk=parts.vorlage.pk).update(status=state["vorlage_status"])
    if state.get("results"):
        m.Consultation.objects.filter(paper=parts.vorlage).update(result=m.Consultation.Result.NOTED)
    if state.get("postponed"):
        m.Consultation.objects.filter(pk=parts.consultation.pk).update(result=m.Consultation.Result.POSTPONED)
    return parts


def url_for(case, w, parts):
    """The case's URL in this world; the arguments are those of test_fuzz_forms.url_kwargs."""
    name = url_name(case)
    pattern = next(p for p in url_patterns() if p.name == name)
    if parts is not None:  # a Vorlage's URL
        own = {
            "pk": lambda: parts.vorlage.pk, "section_pk": lambda: parts.section.pk,
            "consultation_pk": lambda: parts.consultation.pk, "anlage_pk": lambda: parts.anlage.pk,
            "item_pk": lambda: (parts.consultation.pk if "consultation" in name else parts.anlage.pk
                                if "anlage" in name else parts.section.pk),
        }
    else:
        own = {"pk": lambda: w.agreement.pk, "section_pk": lambda: w.section.pk}
    known = {
        "goal_pk": lambda: w.goal.pk, "offer_pk": lambda: w.offer.pk, "proposal_pk": lambda: w.proposal.pk,
        "statement_pk": lambda: w.statement.pk, "step_pk": lambda: w.step.pk, "letter_pk": lambda: w.letter.pk,
        "doc_pk": lambda: w.document.pk, "direction": lambda: "down",
        # The last Fassung: Fassung 1 of the world, or the one the state sent (which has one before it).
        "number": lambda: w.agreement.versions.order_by("-number").first().number,
        "kind": lambda: "next_year", "table": lambda: "board", "fmt": lambda: "csv",
        "deadline_pk": lambda: w.deadline.pk, "state": lambda: "erledigt",
        "token": lambda: calendar_feed.feed_of(w.users.editor).token,
        **own,
    }
    query = QUERY[case](w) if case in QUERY else ""
    return reverse(name, kwargs={arg: known[arg]() for arg in pattern.pattern.regex.groupindex}) + query


# The query string of a case that is its URL with a parameter.
QUERY = {
    "proposal_add:section": lambda w: f"?abschnitt={w.section.pk}",
    "proposal_add:goal": lambda w: f"?ziel={w.goal.pk}",
    **{f"version_compare:{mode}": (lambda w, mode=mode: f"?a=1&b=aktuell&mode={mode}") for mode in VERSION_VIEWS},
    **{f"version_detail:{mode}": (lambda w, mode=mode: f"?mode={mode}") for mode in VERSION_VIEWS},
}


# --- The tests ---------------------------------------------------------------------------------------------------


def test_every_url_has_an_entry():
    names = {p.name for p in url_patterns()}
    covered = {url_name(case) for case in MATRIX}
    missing, gone = sorted(names - covered), sorted(covered - names)
    assert not missing, f"URL names without an entry in MATRIX: {missing}"
    assert not gone, f"MATRIX entries for URL names that no longer exist: {gone}"
    unknown_state = sorted(set(STATE) - set(MATRIX))
    assert not unknown_state, f"STATE entries without a MATRIX entry: {unknown_state}"
    incomplete = sorted(case for case, expected in MATRIX.items() if set(expected) != set(ROLES))
    assert not incomplete, f"MATRIX entries that do not name every role {ROLES}: {incomplete}"


def _status(response):
    if response.streaming:
        # Read to its end: the test client then closes the served file. Never response.close() here: the client
        # has closed the response already, and a second close() fires request_finished, which closes the
        # database connection in the middle of the test's transaction (on PostgreSQL).
        b"".join(response.streaming_content)
    return response.status_code


def _answer(client, case, role, method, response, w):
    """The status code; a redirect that carries an error message is REFUSED: it must lead back to a page of the
    agreement that shows the message. Following it uses the message up, so the POST after a refused GET is judged
    by its own messages only."""
    status = _status(response)
    if status == 200 and "confirm.html" in [t.name for t in response.templates]:
        return ASKS
    if status != 302:
        return status
    if role == "anonymous" or url_name(case) == "logout":
        assert response.url.startswith(reverse("login")), f"{case} {method} as {role}: to {response.url}"
        return status
    errors = [str(msg) for msg in get_messages(response.wsgi_request) if msg.level >= ERROR]
    if not errors:
        return status
    back = reverse("agreement_detail", args=[w.agreement.pk])
    assert response.url.startswith(back), f"{case} {method} as {role}: refused ({errors}), but sent to {response.url}"
    page = client.get(response.url)
    assert page.status_code == 200, f"{case} {method} as {role}: refused, but {response.url} answers {page}"
    shown = page.content.decode()
    assert all(escape(error) in shown for error in errors), f"{case} {method} as {role}: {errors} not shown"
    return REFUSED


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", cases())
def test_matrix(case, role, matrix_world, login):
    if case not in MATRIX:
        pytest.fail(f"URL name {case!r} has no entry in MATRIX of tests/test_permission_matrix.py: add one")
    names = {p.name for p in url_patterns()}
    if url_name(case) not in names:
        pytest.fail(f"MATRIX entry {case!r} names no URL of agreements.urls any more: remove it")
    w = matrix_world
    url = url_for(case, w, prepare(case, w))
    client = login(getattr(w.users, role))
    get = client.get(url)
    got_get = _answer(client, case, role, "GET", get, w)
    post = client.post(url)
    got_post = _answer(client, case, role, "POST", post, w)
    assert (got_get, got_post) == MATRIX[case][role], f"{case} as {role}, {url}: (GET, POST) answered"
    form = (post.context or {}).get("form") if got_post == 200 else None
    if form is not None:
        assert form.is_bound and form.errors, f"{case} as {role}: an empty POST must be answered with the form's errors"

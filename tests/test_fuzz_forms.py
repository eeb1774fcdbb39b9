"""Property-based tests: every view of the app, POSTed random and hostile data by a user who may write.

The views are taken from the URL resolver, so a new view is fuzzed without touching this file (a view with a
URL argument this file does not know fails test_it_knows_every_url_argument). For each view the test finds the
form on the view's own page (or, for buttons and forms that live on another page, on the agreement's tabs or
the Vorlage's page), reads its fields, and lets hypothesis fill them with hostile values: random unicode with
NUL bytes, very long strings, markup, SQL-ish strings, numbers and dates as strings, unknown ids, missing and
extra fields, random file bytes, and raw request bodies that are not even UTF-8.

What must hold for every example:
- the response is never a server error (status < 500; the test client re-raises a view's exception), and
- when the view refused the input (anything but a redirect without an error message), the database is
  unchanged: row counts and max(modified) of every table of the app and of the user accounts, the audit
  entries (failed logins excepted: they are logged on purpose), and the files under MEDIA_ROOT.

Each example runs in a savepoint that is rolled back, so examples do not pile up.
"""

import datetime
import os
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.messages import ERROR, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from agreements import models as m
from agreements import urls as app_urls
from agreements.services import calendar_feed

from .builders_files import pdf_bytes
from .factories import DocumentFactory, aware

pytestmark = pytest.mark.django_db

if os.environ.get("CI"):
    # CI must not go red by chance: the same examples on every run there. Locally hypothesis explores.
    hypothesis_settings.register_profile("ci", derandomize=True)
    hypothesis_settings.load_profile("ci")

FORM_EXAMPLES = 25
BUTTON_EXAMPLES = 5
FUZZ_SETTINGS = dict(deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Logging in is what anonymous users post (a refused login writes only its audit entry and axes' count).
ANONYMOUS = {"login"}
# Who acts: an editor of the county by default; the ministry decides on the county's proposal; the log is admin's.
ACTORS = {"proposal_decide": "ministry", "audit_log": "admin", "audit_log_csv": "admin"}

S = m.Agreement.Status
V = m.Vorlage.Status
# The agreement's status in which the view's action is open, so the fuzz reaches the form, not the refusal.
AGREEMENT_STATUS = {
    "agreement_reopen": S.AGREED, "agreement_sign": S.AGREED, "agreement_refuse": S.AGREED,
    "agreement_start": S.SIGNED, "agreement_amend": S.SIGNED, "review_add": S.SIGNED,
    "agreement_close": S.EVALUATED,
}
VORLAGE_STATUS = {
    "vorlage_start": V.RELEASED, "vorlage_complete": V.IN_CONSULTATION,
    "vorlage_consultation_result": V.IN_CONSULTATION, "vorlage_consultation_follow_up": V.IN_CONSULTATION,
}

HOSTILE = [
    "", " ", "\x00", "a\x00b", "\r\n", "\t", "\u202e\u2066", "\ufeff", "😀" * 20, "ä" * 301, "x" * 100_001,
    '<script>alert("xss")</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    "'; DROP TABLE agreements_agreement; --", "' OR '1'='1", "1; SELECT pg_sleep(5)--", "%00", "%s%s%n",
    "../../../../etc/passwd", "file:///etc/passwd", "{{ 7*7 }}", "{% debug %}", "${7*7}", "=cmd|' /C calc'!A0",
    "-1", "0", "1e309", "NaN", "-Infinity", "99999999999999999999", "-9223372036854775809", "١٢٣", "0x1F",
    "2013-02-30", "0000-00-00", "9999-12-31", "31.12.2013", "1.234,5", "12,5", "1.5", "true", "on", "null",
    "[]", "{}", "up", "down", "entwurf", "abgestimmt",
]

any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
hostile_value = st.one_of(
    st.sampled_from(HOSTILE),
    any_text,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


TINY_PDF = pdf_bytes()
file_bytes = st.one_of(
    st.binary(max_size=4096),
    st.binary(max_size=2048).map(lambda b: b"%PDF-1.7\n" + b),
    st.binary(max_size=2048).map(lambda b: b"PK\x03\x04" + b),
    st.just(TINY_PDF),
    st.binary(max_size=64).map(lambda b: TINY_PDF + b),
)
file_names = st.one_of(
    st.sampled_from(["scan.pdf", "../../etc/passwd", "<script>.pdf", "x" * 300 + ".pdf", "Schreiben ä.pdf",
                     "a.exe", "noext", ".pdf", "a\x00.pdf", "con.pdf"]),
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=40),
)


def _upload_name(name):
    """The name as the test client can send it: a name without a file part ("", "/", "a/..") cannot even be held
    by an UploadedFile (Django raises SuspiciousFileOperation before anything is sent), so it is sent as "leer"."""
    return name if os.path.basename(name) not in {"", ".", ".."} else "leer"


uploads = st.builds(
    lambda name, content, content_type: SimpleUploadedFile(_upload_name(name), content, content_type=content_type),
    file_names, file_bytes,
    st.sampled_from(["application/pdf", "text/html", "application/octet-stream", "image/png", ""]),
)
extra_fields = st.dictionaries(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-[]0123456789", min_size=1, max_size=20), hostile_value,
    max_size=3,
)


# --- Reading the form off the page ------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The POST forms of a page: action, and per field its kind, the attributes that say what it takes
    (maxlength, min, max, inputmode), its current value(s) and the values it offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {"action": a.get("action") or "", "fields": {}}
                self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            field = self._field(name, kind, a)
            if kind in ("checkbox", "radio"):
                field["options"].append(a.get("value", "on"))
                if "checked" in a:
                    field["value"].append(a.get("value", "on"))
            elif kind != "file":
                field["value"] = [a.get("value", "")]
        elif tag == "select" and name:
            self._select = self._field(name, "select-multiple" if "multiple" in a else "select", a)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select["options"].append(value)
            if "selected" in a:
                self._select["value"].append(value)
        elif tag == "textarea" and name:
            self._textarea = self._field(name, "textarea", a)
            self._textarea["value"] = [""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def _field(self, name, kind, attrs):
        field = self._form["fields"].setdefault(name, {"kind": kind, "value": [], "options": [], "attrs": {}})
        field["attrs"].update(attrs)
        return field


def post_forms(content):
    parser = FormParser()
    parser.feed(content.decode("utf-8", "replace"))
    return parser.forms


def form_for(client, path, host_paths):
    """The fields of the form that posts to `path`: on its own page, else on one of the host pages."""
    response = client.get(path)
    if response.status_code == 200 and not response.streaming:
        for form in post_forms(response.content):
            if urlsplit(form["action"]).path in ("", path):
                return form["fields"]
    for host in host_paths:
        response = client.get(host)
        if response.status_code != 200 or response.streaming:
            continue
        for form in post_forms(response.content):
            if urlsplit(form["action"]).path == path:
                return form["fields"]
    return {}


# --- Payloads ---------------------------------------------------------------------------------------------------


def _int_attr(field, name, default):
    try:
        return int(field["attrs"].get(name))
    except (TypeError, ValueError):
        return default


# Text that a form must take as it is, and show escaped wherever it appears.
VALID_HOSTILE = [
    '<script>alert("xss")</script><img src=x onerror=alert(1)>', "'; DROP TABLE agreements_agreement; --",
    "' OR '1'='1", "{{ 7*7 }}{% debug %}", "=HYPERLINK(\"http://evil\")", "\u202eevil", "Ünïcødé – „Zitat“ 😀",
]


def plausible_value(field):
    """A value the field should accept; its text is still as hostile as valid text can be."""
    kind, attrs = field["kind"], field["attrs"]
    if kind == "file":
        return st.builds(lambda content: SimpleUploadedFile("anlage.pdf", content, content_type="application/pdf"),
                         st.just(TINY_PDF))
    if kind == "hidden":
        return st.just(original(field))
    options = [o for o in field["options"] if o]
    if kind in ("select-multiple", "checkbox"):
        return st.lists(st.sampled_from(field["options"]), max_size=2, unique=True) if field["options"] else st.just([])
    if kind in ("select", "radio"):
        # The empty choice is valid for optional fields only; it stays in, less often.
        return st.one_of(st.sampled_from(options), st.sampled_from(field["options"])) if options else st.just(
            original(field))
    if kind == "date":
        return st.dates(min_value=datetime.date(2005, 1, 1), max_value=datetime.date(2035, 12, 31)).map(
            lambda d: d.isoformat())
    if kind == "number":
        low, high = _int_attr(field, "min", 0), _int_attr(field, "max", 10_000)
        return st.integers(min_value=low, max_value=high).map(str)
    if attrs.get("inputmode") == "decimal":
        return st.one_of(st.just(""), st.integers(0, 10_000).map(str),
                         st.decimals(min_value=0, max_value=10_000, places=1).map(lambda d: str(d).replace(".", ",")))
    max_length = _int_attr(field, "maxlength", 300)
    text = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=min(max_length, 80))
    return st.one_of(st.sampled_from([v[:max_length] for v in VALID_HOSTILE]), text)


def hostile_for(field):
    """Anything at all for one field; offered and current values stay in the mix."""
    if field["kind"] == "file":
        return st.one_of(st.none(), uploads)
    known = field["options"] + field["value"]
    if field["kind"] in ("select-multiple", "checkbox"):
        return st.one_of(st.lists(hostile_value, max_size=3), st.lists(st.sampled_from(known), max_size=3)
                         if known else st.just([]))
    return st.one_of(st.sampled_from(known), hostile_value) if known else hostile_value


def original(field):
    if field["kind"] == "file":
        return None
    if field["kind"] in ("select-multiple", "checkbox"):
        return list(field["value"])
    return field["value"][0] if field["value"] else ""


@st.composite
def payloads(draw, fields):
    """('form', data) or ('raw', bytes). Forms come in three mixes, so that both the refusals and the writes are
    reached: every field plausible (hostile but valid text), plausible with a few fields hostile, or all hostile;
    any field may be missing, and unknown fields are added. A raw body need not be a form, nor UTF-8."""
    mode = draw(st.sampled_from(["plausible", "plausible", "mutated", "mutated", "hostile", "raw"]))
    if mode == "raw":
        return "raw", draw(st.binary(max_size=600))
    names = sorted(fields)
    if mode == "plausible" or not names:
        hostile = set()
    elif mode == "hostile":
        hostile = set(names)
    else:
        hostile = set(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)))
    data = {}
    for name in names:
        if mode != "plausible" and draw(st.integers(0, 7)) == 0:
            continue  # a missing field
        strategy = hostile_for(fields[name]) if name in hostile else plausible_value(fields[name])
        value = draw(strategy)
        if value is not None:
            data[name] = value
    if mode != "plausible":
        data.update(draw(extra_fields))
    return "form", data


def send(client, path, payload):
    kind, data = payload
    if kind == "raw":
        return client.generic("POST", path, data, content_type="application/x-www-form-urlencoded")
    return client.post(path, data)


# --- The state of the world -------------------------------------------------------------------------------------


def _tables():
    """(table, has a modified column) for every model of the app (with its history tables) and the users."""
    models = list(apps.get_app_config("agreements").get_models()) + [get_user_model()]
    tables = []
    for model in models:
        if model is m.AuditEntry:
            continue
        names = {f.column for f in model._meta.concrete_fields}
        tables.append((model._meta.db_table, "modified" in names))
    return sorted(set(tables))


def fingerprint(media_root):
    """Counts and max(modified) of every table, audit entries (failed logins are logged on purpose), files."""
    qn = connection.ops.quote_name
    parts = [
        f"SELECT '{table}', COUNT(*), {('MAX(' + qn('modified') + ')') if modified else 'NULL'} FROM {qn(table)}"
        for table, modified in _tables()
    ]
    audit = qn(m.AuditEntry._meta.db_table)
    parts.append(f"SELECT 'audit', COUNT(*), NULL FROM {audit} "
                 f"WHERE {qn('action')} NOT IN ('login', 'login_failed', 'locked_out')")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        rows = sorted((row[0], row[1], str(row[2])) for row in cursor.fetchall())
    root = Path(media_root)
    files = sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return rows, files


def succeeded(response):
    """A redirect without an error message is the only answer that may have changed something."""
    if response.status_code != 302:
        return False
    return not any(message.level >= ERROR for message in get_messages(response.wsgi_request))


# --- Fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture
def fuzz_world(world, settings):
    # Small enough that random bytes are sometimes too large: the size check is fuzzed too.
    settings.UPLOAD_MAX_BYTES = 3000
    w = world
    w.document = DocumentFactory(agreement=w.agreement, title="Anlage Liga", original_filename="liga.pdf",
                                 content=TINY_PDF)
    w.department = m.Department.objects.create(party=w.county, number="50", name="Sozialamt")
    w.author = m.Person.objects.create(party=w.county, department=w.department, family_name="Gansauer",
                                       given_name="Ulrike", function="Bearbeiterin", user=w.users.editor)
    w.meeting = m.Meeting.objects.create(committee=w.committee, name="Sitzung", start=aware(2031, 5, 20, 15))
    w.vorlage = m.Vorlage.objects.create(
        reference="50/015/2012", department=w.department, year=2012, running_number=15, author=w.author,
        date=aware(2012, 4, 19).date(), name="Zielsteuerung 2012", agreement=w.agreement,
        resolution="Kenntnisnahme", occasion="Anlass", conclusion="Fazit",
    )
    w.vorlage_section = m.VorlageSection.objects.create(vorlage=w.vorlage, order=1, heading="1. Abschnitt",
                                                        text="Text")
    m.VorlageSection.objects.create(vorlage=w.vorlage, order=2, heading="2. Abschnitt", text="Text")
    w.consultation = m.Consultation.objects.create(paper=w.vorlage, committee=w.committee, meeting=w.meeting,
                                                   order=1, role=m.Consultation.Role.NOTICE)
    w.anlage = m.VorlageAnlage.objects.create(vorlage=w.vorlage, order=1, title="Anlage 1", document=w.document)
    # A second item of each list, so "move down" has somewhere to go.
    m.AgreementSection.objects.create(agreement=w.agreement, order=2, heading="§ 2 Ziele", text="")
    m.Goal.objects.create(agreement=w.agreement, order=2, title="Zweites Ziel", kind="qualitativ")
    m.SupportOffer.objects.create(agreement=w.agreement, topic=w.topic, title="Zweites Angebot", order=2)
    w.deadline = m.Deadline.objects.create(agreement=w.agreement, kind=m.Deadline.Kind.SIGNATURE,
                                           due=datetime.date(2013, 6, 28), owner=w.county)
    w.feed_token = calendar_feed.feed_of(w.users.editor).token
    return w


@pytest.fixture(autouse=True)
def fast_pdfs(monkeypatch):
    """WeasyPrint is tested elsewhere; here a release or the last signature only needs some PDF."""
    import hashlib

    from agreements.pdf import agreement as pdf_agreement
    from agreements.pdf import vorlage as pdf_vorlage
    from agreements.pdf.render import RenderedPdf

    def render(*args, **kwargs):
        return RenderedPdf(content=TINY_PDF, sha256=hashlib.sha256(TINY_PDF).hexdigest(), html="")

    monkeypatch.setattr(pdf_vorlage, "render_vorlage", render)
    monkeypatch.setattr(pdf_agreement, "render_agreement", render)
    # The services render outside the row lock with the slow half alone (WeasyPrint).
    monkeypatch.setattr("agreements.pdf.render.pdf_from_html", render)


# --- The views --------------------------------------------------------------------------------------------------


def url_patterns():
    return [p for p in app_urls.urlpatterns if p.name]


def url_kwargs(name, route_names, w):
    """The URL arguments for the view `name` in the fuzz world; KeyError names an argument nobody knows."""
    vorlage_view = name.startswith("vorlage")
    known = {
        "pk": w.vorlage.pk if vorlage_view else w.agreement.pk,
        "section_pk": w.vorlage_section.pk if vorlage_view else w.section.pk,
        "goal_pk": w.goal.pk, "offer_pk": w.offer.pk, "proposal_pk": w.proposal.pk,
        "statement_pk": w.statement.pk, "step_pk": w.step.pk, "letter_pk": w.letter.pk,
        "doc_pk": w.document.pk, "number": w.version.number, "direction": "down", "kind": "next_year",
        "consultation_pk": w.consultation.pk, "anlage_pk": w.anlage.pk,
        "item_pk": (w.consultation.pk if "consultation" in name else w.anlage.pk if "anlage" in name
                    else w.vorlage_section.pk),
        "table": "board", "fmt": "csv",
        "deadline_pk": w.deadline.pk, "state": "erledigt", "token": w.feed_token,
    }
    return {arg: known[arg] for arg in route_names}


AGREEMENT_HOSTS = ("agreement_detail", "agreement_goals", "agreement_offers", "agreement_versions",
                   "agreement_proposals", "agreement_statements", "agreement_timeline", "agreement_letters",
                   "agreement_documents", "agreement_reviews", "agreement_deadlines")


def host_paths(name, w):
    if name.startswith("vorlage"):
        return [reverse("vorlage_detail", args=[w.vorlage.pk])]
    if "pk" in next(p for p in url_patterns() if p.name == name).pattern.regex.groupindex:
        return [reverse(host, args=[w.agreement.pk]) for host in AGREEMENT_HOSTS]
    return []


def test_it_knows_every_url_argument(fuzz_world):
    unknown = {}
    for pattern in url_patterns():
        try:
            url_kwargs(pattern.name, pattern.pattern.regex.groupindex, fuzz_world)
        except KeyError as exc:
            unknown[pattern.name] = exc.args[0]
    assert not unknown, f"Add these URL arguments to url_kwargs(): {unknown}"


def _prepare(name, w):
    if name in AGREEMENT_STATUS:
        m.Agreement.objects.filter(pk=w.agreement.pk).update(status=AGREEMENT_STATUS[name])
    if name in VORLAGE_STATUS:
        # Written past the model's release guard, as a release would have left it.
        m.Vorlage.objects.filter(pk=w.vorlage.pk).update(status=VORLAGE_STATUS[name], released_at=aware(2012, 5, 2))
    if name == "vorlage_consultation_follow_up":  # postponed: its next consultation is what the form adds
        m.Consultation.objects.filter(pk=w.consultation.pk).update(result=m.Consultation.Result.POSTPONED)


@pytest.mark.parametrize("name", [p.name for p in url_patterns()])
def test_it_survives_hostile_posts_and_changes_nothing_when_it_refuses(name, fuzz_world, client, settings):
    w = fuzz_world
    pattern = next(p for p in url_patterns() if p.name == name)
    path = reverse(name, kwargs=url_kwargs(name, pattern.pattern.regex.groupindex, w))
    _prepare(name, w)
    user = None if name in ANONYMOUS else getattr(w.users, ACTORS.get(name, "editor"))

    session = {"stale": True}

    def attempt(payload):
        client.cookies.pop("messages", None)
        if session["stale"] and user is not None:
            # Outside the savepoint, so the session outlives the rollback of the examples.
            client.force_login(user)
        with transaction.atomic():
            before = fingerprint(settings.MEDIA_ROOT)
            response = send(client, path, payload)
            assert response.status_code < 500
            if not succeeded(response):
                assert fingerprint(settings.MEDIA_ROOT) == before, f"{name} refused the input but changed data"
            transaction.set_rollback(True)
        # A new session (a login, a password change) was rolled back with the example: log in again.
        session["stale"] = settings.SESSION_COOKIE_NAME in response.cookies
        return response

    # A view that does not take POST at all says so and is done.
    first = attempt(("form", {"x": "<script>"}))
    if first.status_code == 405:
        return
    fields = form_for(client, path, host_paths(name, w))
    if not fields and first.status_code != 302:
        return  # a page that ignores POST: no form anywhere posts to it
    examples = FORM_EXAMPLES if fields else BUTTON_EXAMPLES

    @hypothesis_settings(max_examples=examples, **FUZZ_SETTINGS)
    @given(payload=payloads(fields))
    def fuzz(payload):
        attempt(payload)

    fuzz()


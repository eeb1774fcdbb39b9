"""factory-boy factories shared by the test suite."""

import datetime
import decimal
import hashlib
import weakref
from contextlib import contextmanager

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db.models import signals as model_signals
from django.urls import reverse
from django.utils import timezone

from agreements import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Party

    key = factory.Sequence(lambda n: f"party-{n}")
    name = factory.Sequence(lambda n: f"Kreis Beispiel {n}")
    short_name = factory.Sequence(lambda n: f"KB{n}")
    kind = m.Party.Kind.KREIS


class MinistryFactory(PartyFactory):
    key = factory.Sequence(lambda n: f"ministerium-{n}")
    name = factory.Sequence(lambda n: f"Ministerium {n}")
    kind = m.Party.Kind.MINISTRY


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Department

    party = factory.SubFactory(PartyFactory)
    number = factory.Sequence(lambda n: str(50 + n))
    name = "Sozialamt"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Person

    party = factory.SubFactory(PartyFactory)
    form_of_address = "Frau"
    given_name = "Erika"
    family_name = factory.Sequence(lambda n: f"Muster{n}")
    function = "Bearbeiterin"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Membership

    user = factory.SubFactory(UserFactory)
    party = factory.SubFactory(PartyFactory)
    role = m.Membership.Role.EDITOR


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Agreement

    title = factory.Sequence(lambda n: f"Zielvereinbarung {n}")
    year = 2013


def add_parties(agreement, land, county):
    m.AgreementParty.objects.create(agreement=agreement, party=land, role=m.AgreementParty.Role.LAND, order=0)
    m.AgreementParty.objects.create(
        agreement=agreement, party=county, role=m.AgreementParty.Role.KOMMUNALER_TRAEGER, order=1
    )
    return agreement


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Goal

    agreement = factory.SubFactory(AgreementFactory)
    title = factory.Sequence(lambda n: f"Ziel {n}")
    kind = m.Goal.Kind.QUALITATIVE
    direction = m.Goal.Direction.OPTIMIERUNG


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Topic
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Thema {n}")


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Committee

    party = factory.SubFactory(PartyFactory)
    name = factory.Sequence(lambda n: f"Ausschuss {n}")


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Document

    title = factory.Sequence(lambda n: f"Dokument {n}")
    content_type = "application/pdf"

    @classmethod
    def _create(cls, model_class, *args, content=b"%PDF-1.7\n%%EOF\n", **kwargs):
        doc = model_class(*args, **kwargs)
        doc.size = len(content)
        doc.sha256 = hashlib.sha256(content).hexdigest()
        doc.file.save("upload.bin", ContentFile(content), save=False)
        doc.save()
        return doc


class VorlageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Vorlage

    department = factory.SubFactory(DepartmentFactory)
    year = 2012
    running_number = factory.Sequence(lambda n: n + 1)
    reference = factory.LazyAttribute(
        lambda o: m.Vorlage.format_reference(o.department.number, o.running_number, o.year)
    )
    author = factory.SubFactory(PersonFactory)
    date = datetime.date(2012, 4, 19)
    name = "Zielsteuerung 2012"


def aware(year, month, day, hour=10):
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


# --- The admin's case: one record of every model the admin shows (tests/test_admin*.py) ---------------------

PDF_BYTES = b"%PDF-1.4\n% Zielvereinbarung 2012\n%%EOF\n"


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def stored_pdf(title, kind, filename, *, uploaded_by, agreement=None):
    """A stored document with a small PDF, its size and SHA-256 as an upload would record them."""
    document = m.Document(
        title=title, kind=kind, size=len(PDF_BYTES), content_type="application/pdf",
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(), original_filename=filename, uploaded_by=uploaded_by,
        agreement=agreement,
    )
    document.file.save(filename, ContentFile(PDF_BYTES), save=True)
    return document


def admin_case(admin_user):
    """The Mettmann case in miniature: one record of every model the admin shows."""
    parties = {
        kind: m.Party.objects.create(key=f"party-{kind}", name=f"Stelle {label_}", kind=kind)
        for kind, label_ in m.Party.Kind.choices
    }
    kreis = parties[m.Party.Kind.KREIS]
    kreis.name, kreis.short_name, kreis.city = "Kreis Mettmann", "ME", "Mettmann"
    kreis.save()
    ministry = parties[m.Party.Kind.MINISTRY]
    ministry.name, ministry.short_name = "Ministerium für Arbeit, Integration und Soziales NRW", "MAIS NRW"
    ministry.save()
    jobcenter = parties[m.Party.Kind.JOBCENTER]
    jobcenter.name, jobcenter.parent = "Jobcenter ME-aktiv", kreis
    jobcenter.jobcenter_form = m.Party.JobcenterForm.GE
    jobcenter.save()
    verband = parties[m.Party.Kind.VERBAND]

    department = m.Department.objects.create(party=kreis, number="50", name="Sozialamt")
    editor = get_user_model().objects.create_user("gansauer", "gansauer@example.org", "pw-editor-123")
    person = m.Person.objects.create(
        party=kreis, department=department, form_of_address="Frau", given_name="Ulrike",
        family_name="Gansauer", function="Bearbeiterin", user=editor,
    )
    m.Membership.objects.create(user=editor, party=kreis, role=m.Membership.Role.EDITOR)
    Group.objects.create(name="Redaktion")

    committee = m.Committee.objects.create(party=kreis, name="Sozialausschuss")
    m.CommitteeMembership.objects.create(committee=committee, user=editor, role=m.CommitteeMembership.Role.CHAIR)
    meeting = m.Meeting.objects.create(
        committee=committee, start=timezone.make_aware(datetime.datetime(2012, 5, 8, 17)), location="Mettmann"
    )

    indicator = m.Indicator.objects.create(code="K2", name="Integrationsquote", unit="%")
    topic = m.Topic.objects.create(number=1, name="Kommunale Eingliederungsleistungen")
    legal_basis = m.LegalBasis.objects.create(citation="§ 48b SGB II")

    document = stored_pdf("Zielvereinbarung 2012 (unterzeichnet)", m.Document.Kind.AGREEMENT, "zv-2012.pdf",
                          uploaded_by=admin_user)

    agreement = m.Agreement.objects.create(title="Zielvereinbarung 2012 Kreis Mettmann", year=2012)
    agreement.legal_bases.add(legal_basis)
    document.agreement = agreement
    document.save()
    m.AgreementParty.objects.create(agreement=agreement, party=ministry, role=m.AgreementParty.Role.LAND, order=1)
    m.AgreementParty.objects.create(
        agreement=agreement, party=kreis, role=m.AgreementParty.Role.KOMMUNALER_TRAEGER, order=2
    )
    m.AgreementSection.objects.create(agreement=agreement, order=1, heading="§ 1 Gegenstand")
    goal = m.Goal.objects.create(
        agreement=agreement, kind=m.Goal.Kind.QUALITATIVE, area=m.Goal.Area.KDU, title="KdU optimieren",
        direction=m.Goal.Direction.OPTIMIERUNG, order=1,
    )
    m.Goal.objects.create(
        agreement=agreement, kind=m.Goal.Kind.QUANTITATIVE, area=m.Goal.Area.K2, title="Integrationsquote",
        indicator=indicator, reference_value=decimal.Decimal("24.1"), corridor_low=decimal.Decimal("23.5"),
        corridor_high=decimal.Decimal("25"), target_value=decimal.Decimal("24.5"), unit="%", order=2,
    )
    m.SupportOffer.objects.create(agreement=agreement, topic=topic, title="Fachtagung", provider=ministry)
    m.CopiedPassage.objects.create(
        agreement=agreement, kind=m.CopiedPassage.Kind.GOAL, goal=goal, label=goal.title,
        content=[{"field": "title", "text": goal.title}],
    )
    version = m.AgreementVersion.objects.create(
        agreement=agreement, number=1, author_party=ministry, sent_at=timezone.now(),
        snapshot={"title": agreement.title, "goals": [{"title": "KdU <optimieren>"}]},
    )
    m.Acceptance.objects.create(agreement=agreement, version=version, party=kreis, accepted_by=editor,
                                accepted_at=timezone.now())
    letter = m.Letter.objects.create(
        agreement=agreement, date=datetime.date(2012, 3, 29), direction=m.Letter.Direction.INCOMING,
        sender=ministry, recipient=kreis, subject="Ihre Vorschläge", document=document,
    )
    m.Proposal.objects.create(
        agreement=agreement, party=kreis, text="Ziel streichen", goal=goal,
        decision=m.Proposal.Decision.REJECTED, reason="Landesziel", answer_letter=letter,
    )
    m.Statement.objects.create(
        agreement=agreement, party=verband, date=datetime.date(2012, 2, 1), title="Stellungnahme der Liga",
        include_as_annex=True,
    )
    step = m.ProcedureStep.objects.create(
        agreement=agreement, date=datetime.date(2011, 12, 16), kind=m.ProcedureStep.Kind.MEETING,
        title="Zielsteuerungsgespräch", version=version,
    )
    step.participants.add(kreis, ministry)
    m.Signature.objects.create(
        agreement=agreement, party=kreis, person=person, signatory_name="Thomas Hendele",
        signatory_function="Landrat", date=datetime.date(2012, 4, 20), place="Mettmann",
    )
    review = m.Review.objects.create(agreement=agreement, date=datetime.date(2012, 9, 1))
    m.Assessment.objects.create(review=review, goal=goal, status=m.Assessment.Status.ON_TRACK)

    vorlage = m.Vorlage.objects.create(
        reference="50/015/2012", department=department, year=2012, running_number=15, author=person,
        date=datetime.date(2012, 4, 24), name="Zielvereinbarung 2012 mit dem MAIS NRW", agreement=agreement,
    )
    consultation = m.Consultation.objects.create(
        paper=vorlage, committee=committee, meeting=meeting, meeting_date=datetime.date(2012, 5, 8),
        role=m.Consultation.Role.NOTICE, order=1,
    )
    m.AgendaItem.objects.create(
        meeting=meeting, number="5", name="Zielvereinbarung 2012", consultation=consultation
    )
    m.VorlageSection.objects.create(vorlage=vorlage, order=1, heading="I. Rechtliche Grundlagen")
    m.VorlageAnlage.objects.create(vorlage=vorlage, order=1, title="Zielvereinbarung 2012", document=document)
    m.FormSubmission.objects.create(user=editor, token="einmal", path="/vereinbarungen/neu/").record(agreement)
    m.StartPageVisit.objects.create(user=editor, seen_at=timezone.now())
    m.Deadline.objects.create(agreement=agreement, kind=m.Deadline.Kind.HALF_YEAR_REPORT, owner=kreis,
                              due=datetime.date(2012, 6, 29))
    m.CalendarFeed.objects.create(user=editor, token="t" * 43, created=timezone.now())
    m.CachedPdf.objects.create(key="a" * 64, sha256="b" * 64, size=1024)
    m.SigningKey.objects.create(party=ministry, pkcs12_file="signing/mais.p12", secret_env="ZS_SIGN_MAIS")
    m.TimestampAuthority.objects.create(name="D-Trust TSA", url="https://tsa.example.org/tsp")
    m.TrustAnchor.objects.create(name="Test-Wurzel", certificate="-----BEGIN CERTIFICATE-----\nMIIB\n"
                                 "-----END CERTIFICATE-----\n", subject="CN=Test-Wurzel", sha256_fingerprint="c" * 64)
    _notification_records(editor)
    m.ArchivedUserName.objects.create(
        content_type=ContentType.objects.get_for_model(m.Document), object_id=document.pk, field="uploaded_by",
        name="admin",
    )
    return {
        "kreis": kreis, "editor": editor, "agreement": agreement, "version": version, "document": document,
        "vorlage": vorlage, "department": department, "person": person,
    }


def _notification_records(user):
    """The notifications app's records the admin shows: a user's settings, a failed mail, a run of the schedule."""
    from notifications.models import KindSetting, Mail, Mode, Preferences, ScheduleRun

    preferences = Preferences.objects.create(user=user, language="en")
    KindSetting.objects.create(preferences=preferences, kind="fassung_received", mode=Mode.DIGEST)
    Mail.objects.create(recipient=user, to="gansauer@example.org", kind="fassung_received", language="en",
                        subject="Fassung 2 erhalten", body_text="Text", body_html="<p>Text</p>",
                        status=Mail.Status.FAILED, attempts=5, last_error="SMTPRecipientsRefused: 550 No such user")
    ScheduleRun.objects.create(job="daily_digest", period="2012-06-29", status=ScheduleRun.Status.DONE)


def vorlage_admin_post(case, **overrides):
    """The admin's add/change form of a Vorlage, filled for the admin case, without inline rows."""
    data = {
        "department": case["department"].pk, "running_number": "16", "year": "2012", "reference": "",
        "name": "Zielvereinbarung 2013", "paper_type": "beschlussvorlage", "decision_type": "beschluss",
        "status": "entwurf", "date": "2012-11-05", "author": case["person"].pk, "public": "on",
        "financial_impact": "nein", "personnel_impact": "nein", "organisational_impact": "nein",
    }
    for prefix in ["consultations", "sections", "anlagen"]:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


# The roles of conftest's `world.users`, in the order the permission tables list them.
ROLES = ("anonymous", "outsider", "reader", "editor", "ministry", "committee", "admin")
# The status each role gets on a page of the world's agreement that reads (a tab, a download) or writes (a form):
# outsiders and committee members do not learn that the agreement exists, readers and the admin may not write.
READ = {"anonymous": 302, "outsider": 404, "committee": 404, "reader": 200, "editor": 200, "ministry": 200,
        "admin": 200}
# Tabs only read: a POST from someone who may see the agreement is answered 405, from others as before.
READ_POST = {**READ, "reader": 405, "editor": 405, "ministry": 405, "admin": 405}
WRITE_GET = {**READ, "reader": 403, "admin": 403}
WRITE_POST = {**WRITE_GET, "editor": 302, "ministry": 302}


def make_user(username, party=None, role=m.Membership.Role.EDITOR, **extra):
    user = get_user_model().objects.create_user(username, password="pw", first_name=username.title(), **extra)
    if party is not None:
        m.Membership.objects.create(user=user, party=party, role=role)
    return user


# Receivers that only record what was written: the audit log, the search index, simple-history's versions.
QUIET_RECEIVERS = ("agreements.infra.audit", "agreements.infra.search", "simple_history.")


def _receiver_module(reference):
    receiver = reference() if isinstance(reference, weakref.ReferenceType) else reference
    return getattr(receiver, "__module__", "") or ""


@contextmanager
def quiet_signals(modules=QUIET_RECEIVERS):
    """Within the block, the model signals' receivers defined in `modules` are not called: for fixtures that
    build a world of records and test neither its audit entries, nor its search entries, nor its history. The
    receivers are connected again (in their order) when the block ends, whatever happened in it."""
    from simple_history import signals as history_signals

    signals = [model_signals.pre_save, model_signals.post_save, model_signals.pre_delete, model_signals.post_delete,
               model_signals.m2m_changed, history_signals.pre_create_historical_record,
               history_signals.post_create_historical_record]
    saved = []
    for signal in signals:
        with signal.lock:
            saved.append((signal, signal.receivers))
            signal.receivers = [entry for entry in signal.receivers
                                if not _receiver_module(entry[1]).startswith(modules)]
            signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, receivers in saved:
            with signal.lock:
                # Anything connected meanwhile stays connected.
                signal.receivers = receivers + [entry for entry in signal.receivers if entry not in receivers]
                signal.sender_receivers_cache.clear()


def assert_status(response, expected):
    """The response has the status of READ / WRITE_GET / …; a redirect of an anonymous user goes to the login."""
    assert response.status_code == expected
    if expected == 302 and not response.wsgi_request.user.is_authenticated:
        assert response["Location"].startswith(reverse("login"))


@contextmanager
def module_data(django_db_blocker):
    """For a module-scoped fixture: the data written inside stay in the test database until the module's last
    test and are then rolled back. A test takes the fixture together with `db`, whose savepoint undoes the test's
    own writes; a test of the module that does not take it runs before it is built (conftest.MODULE_DATA)."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)

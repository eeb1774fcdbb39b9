"""factory-boy factories shared by the test suite."""

import datetime
import hashlib

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
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

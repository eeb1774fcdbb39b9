"""The data the benchmark measures on: the demo case plus k years of synthetic agreements (scale k), and the cast
of users and fixed rows (the demo agreement and Vorlage) that every scale measures with."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from agreements import models as m
from agreements.data import synthetic
from agreements.infra import search
from agreements.tooling.benchmark.base import BenchmarkError

FIRST_YEAR = 2012


DEFAULT_SCALES = (1, 10)


# The demo case: present at every scale, so "the agreement page" and "the Vorlage" are the same rows throughout.
FIXED_VORLAGE = "50/015/2012"


OPARL_BODY = "kreis-mettmann"


# Occurs in every agreement's and Vorlage's title and in many letters: the search has many hits at any scale.
SEARCH_WORD = "Zielvereinbarung"


EDITOR_USERNAME = "benchmark-ministerium"


ADMIN_USERNAME = "benchmark-admin"


def scale_years(scale):
    return list(range(FIRST_YEAR, FIRST_YEAR + scale))


def load_demo_case():
    from agreements.data.demo import load_demo

    if not m.Vorlage.objects.filter(reference=FIXED_VORLAGE).exists():
        load_demo()


def grow_to(scale, *, seed=1):
    """Add the synthetic agreements of `scale` years (existing county-years are skipped) and re-index search."""
    counts = synthetic.generate(years=scale_years(scale), seed=seed)
    # The generator writes with bulk_create, which sends no signals: the search index is rebuilt here.
    search.rebuild_index()
    return counts


def data_counts():
    return {
        "agreements": m.Agreement.objects.count(),
        "goals": m.Goal.objects.count(),
        "versions": m.AgreementVersion.objects.count(),
        "steps": m.ProcedureStep.objects.count(),
        "letters": m.Letter.objects.count(),
        "vorlagen": m.Vorlage.objects.count(),
        "search_entries": m.SearchEntry.objects.count(),
    }


@dataclass
class Cast:
    """The users and fixed rows every scale measures with."""

    editor: object
    admin: object
    password: str
    agreement: object
    vorlage: object
    body: object
    board_years: tuple


def prepare_cast(*, last_year, password=None):
    """The ministry editor (editor membership of MAIS NRW: sees all counties' agreements) and a superuser.

    `last_year` is the last year of the largest scale: the board asks for the same full range at every scale.
    """
    password = password or secrets.token_urlsafe(16)
    users = get_user_model().objects
    editor = users.filter(username=EDITOR_USERNAME).first() or users.create_user(
        EDITOR_USERNAME, password=password, first_name="Benchmark", last_name="Ministerium")
    editor.set_password(password)
    editor.save(update_fields=["password"])
    ministry = m.Party.objects.get(key="mais-nrw")
    m.Membership.objects.update_or_create(user=editor, party=ministry,
                                          defaults={"role": m.Membership.Role.EDITOR})
    admin = users.filter(username=ADMIN_USERNAME).first() or users.create_superuser(
        ADMIN_USERNAME, "benchmark@example.org", password)
    vorlage = m.Vorlage.objects.select_related("agreement").get(reference=FIXED_VORLAGE)
    agreement = vorlage.agreement
    if not agreement.versions.filter(number__in=(1, 2)).count() == 2:
        raise BenchmarkError(f"The fixed agreement {agreement.pk} has no versions 1 and 2 to compare.")
    first_year = min(m.Agreement.objects.order_by("year").values_list("year", flat=True).first(), FIRST_YEAR)
    return Cast(
        editor=editor, admin=admin, password=password, agreement=agreement, vorlage=vorlage,
        body=m.Party.objects.get(key=OPARL_BODY), board_years=(first_year, max(last_year, first_year)),
    )

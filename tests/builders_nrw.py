"""The state-wide data set of the overview and export tests: all 53 counties, three years, small agreements
(agreements.data.synthetic), with one user of each kind of reader. conftest's module-scoped `nrw` builds it once per
module inside a transaction that is rolled back at the module's end."""

from types import SimpleNamespace

from django.contrib.auth import get_user_model

from agreements import models as m
from agreements.data import synthetic

from .factories import make_user

YEARS = (2012, 2013, 2014)


def build_nrw():
    """The data set the overview and export tests share: all counties, three years, small agreements."""
    counts = synthetic.generate(years=YEARS, goals_per_agreement=5, versions=1, steps=2, letters=3, vorlagen=False,
                                seed=7)
    ministry = m.Party.objects.get(key="mais-nrw")
    mettmann = m.Party.objects.get(key="kreis-mettmann")
    kleve = m.Party.objects.get(key="kreis-kleve")
    jobcenter = m.Party.objects.get(key="jobcenter-kreis-mettmann")
    users = SimpleNamespace(
        ministry=make_user("ov-ministry", ministry),
        editor=make_user("ov-editor", mettmann),
        outsider=make_user("ov-outsider", kleve),
        jobcenter=make_user("ov-jobcenter", jobcenter, m.Membership.Role.READER),
        nobody=make_user("ov-nobody"),
        admin=get_user_model().objects.create_superuser("ov-admin", "ov-admin@example.org", "pw"),
    )
    return SimpleNamespace(counts=counts, ministry=ministry, mettmann=mettmann, kleve=kleve, users=users)

"""Vorlagen-Nr.: Fachbereich/laufende Nr. (3 digits)/Jahr, per department and year, safe when created at once."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import vorlagen as svc

from .vorlage_builders import vorlage_world


def create(vw, date, department=None, user=None):
    department = department or vw.department
    return svc.create_vorlage(user=user or vw.users.editor, data={
        "department": department,
        "author": vw.author if department.party_id == vw.world.county.pk else vw.other_author,
        "date": date, "name": "Zielsteuerung", "public": True,
    })


@pytest.fixture
def vw(world):
    return vorlage_world(world)


def test_it_numbers_fachbereich_running_number_and_year(vw):
    first = create(vw, datetime.date(2012, 1, 10))
    second = create(vw, datetime.date(2012, 4, 19))
    assert (first.reference, first.running_number, first.year) == ("50/001/2012", 1, 2012)
    assert second.reference == "50/002/2012"


def test_it_counts_per_department_and_year(vw):
    assert create(vw, datetime.date(2012, 4, 19)).reference == "50/001/2012"
    assert create(vw, datetime.date(2013, 1, 2)).reference == "50/001/2013"
    sozial = m.Department.objects.create(party=vw.world.county, number="51", name="Jugendamt")
    assert create(vw, datetime.date(2012, 5, 1), department=sozial).reference == "51/001/2012"
    assert create(vw, datetime.date(2012, 12, 31)).reference == "50/002/2012"


def test_it_continues_after_the_highest_number_not_the_count(vw):
    running, reference = svc.next_reference(vw.department, 2012)
    assert (running, reference) == (1, "50/001/2012")
    m.Vorlage.objects.create(reference="50/015/2012", department=vw.department, year=2012, running_number=15,
                             author=vw.author, date=datetime.date(2012, 4, 19), name="Vorlage 50/015/2012")
    assert svc.next_reference(vw.department, 2012) == (16, "50/016/2012")
    assert create(vw, datetime.date(2012, 6, 1)).reference == "50/016/2012"


def test_it_goes_beyond_three_digits_without_losing_numbers(vw):
    m.Vorlage.objects.create(reference="50/999/2012", department=vw.department, year=2012, running_number=999,
                             author=vw.author, date=datetime.date(2012, 4, 19), name="x")
    assert create(vw, datetime.date(2012, 6, 1)).reference == "50/1000/2012"


def test_the_database_refuses_a_number_twice(vw):
    create(vw, datetime.date(2012, 4, 19))
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Vorlage.objects.create(reference="50/001/2012-b", department=vw.department, year=2012,
                                 running_number=1, author=vw.author, date=datetime.date(2012, 4, 19), name="x")


def test_it_draws_the_number_again_when_a_parallel_creator_took_it(vw, monkeypatch):
    """SQLite has no row locks: the unique constraint refuses the taken number and the next one is drawn."""
    real = svc.next_reference
    calls = []
    # Somebody else committed number 1 after we read the maximum.
    m.Vorlage.objects.create(reference="50/001/2012", department=vw.department, year=2012, running_number=1,
                             author=vw.author, date=datetime.date(2012, 4, 19), name="parallel")

    def stale_once(department, year):
        calls.append(year)
        return (1, "50/001/2012") if len(calls) == 1 else real(department, year)

    monkeypatch.setattr(svc, "next_reference", stale_once)
    vorlage = create(vw, datetime.date(2012, 4, 19))
    assert vorlage.reference == "50/002/2012" and len(calls) == 2
    assert m.Vorlage.objects.filter(department=vw.department, year=2012).count() == 2


def test_it_numbers_the_same_fachbereich_of_two_counties_independently(vw):
    neighbour_50 = m.Department.objects.create(party=vw.world.other_county, number="50", name="Sozialamt")
    create(vw, datetime.date(2012, 4, 19))
    assert create(vw, datetime.date(2012, 5, 1), department=neighbour_50,
                  user=vw.users.outsider).reference == "50/001/2012"


@pytest.mark.django_db(transaction=True)
def test_it_gives_concurrent_creators_different_numbers(world):
    vw = vorlage_world(world)
    count = 4
    barrier = threading.Barrier(count)
    results, errors = [], []

    def create_one(day):
        try:
            barrier.wait(timeout=10)
            results.append(create(vw, datetime.date(2012, 4, day)).reference)
        except Exception as exc:  # recorded and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_one, args=(day,)) for day in range(1, count + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    references = list(m.Vorlage.objects.filter(department=vw.department).values_list("reference", flat=True))
    assert len(references) == len(set(references)) == len(results)
    assert sorted(references) == [f"50/{n:03d}/2012" for n in range(1, len(references) + 1)]
    if connection.vendor == "postgresql":
        # The department's row lock queues the creators: every one gets a number.
        assert errors == [] and len(results) == count
    else:
        # SQLite serialises writers with a database lock; whoever still loses after the retries gets a clear
        # refusal, never a duplicate number and never a raw database error.
        assert all(isinstance(e, DomainError) and "erneut" in e.message for e in errors), errors
        assert len(results) + len(errors) == count and results

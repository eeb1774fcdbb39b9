"""Every content write takes the agreement's row lock before it checks that the text is still open.

Checked on an instance read before the lock, the state can be stale: the last acceptance of a Fassung committing
in between (the text is "abgestimmt") would let a late edit land in an agreed text (the final version would not
contain it, the working text would). Three ways to see that it cannot:
- a stale instance (the agreement was agreed after the page read it) is refused, on every database;
- on PostgreSQL the SELECT … FOR UPDATE of the agreement comes before the write's first INSERT/UPDATE/DELETE;
- on PostgreSQL a write racing lifecycle.agree (which holds the lock after taking the final version) waits for
  it and is refused, never written after the version was taken.

Each write is made by whoever may make it while the text is open (builders_writes): the working text by the
party "am Zug", a proposal by the other party. So a refusal seen here comes from the state, not from the pen.
"""

import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import lifecycle

from .builders_writes import CONTENT_WRITES, pass_pen

S = m.Agreement.Status


# Each write gets the world with instances read before the agreement changed state (see `prepare`).
WRITES = CONTENT_WRITES


def prepare(world, *, sent=False):
    """A second section (so that reordering moves something), and the instances a page would hold: read now,
    with their agreement cached, so that a check on them sees the state of this moment.

    sent: the county first sends that text as Fassung 2, so that the ministry, now "am Zug", may accept it."""
    m.AgreementSection.objects.create(agreement=world.agreement, order=2, heading="§ 2 Ziele")
    if sent:
        pass_pen(world)
    agreement = m.Agreement.objects.get(pk=world.agreement.pk)
    assert not agreement.is_frozen
    world.agreement = agreement
    for name, model in (("section", m.AgreementSection), ("statement", m.Statement), ("goal", m.Goal)):
        obj = model.objects.get(pk=getattr(world, name).pk)
        obj.agreement = agreement
        setattr(world, name, obj)
    return world


def content(world):
    """The rows a content write would change."""
    pk = world.agreement.pk

    def rows(model, **filters):
        return list(model.objects.filter(**filters).order_by("pk").values())

    agreement = rows(m.Agreement, pk=pk)[0]
    return {
        "agreement": {k: agreement[k] for k in ("title", "preamble", "lock_version")},
        "parties": rows(m.AgreementParty, agreement_id=pk),
        "sections": rows(m.AgreementSection, agreement_id=pk),
        "goals": rows(m.Goal, agreement_id=pk),
        "proposals": rows(m.Proposal, agreement_id=pk),
        "statements": rows(m.Statement, agreement_id=pk),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_it_refuses_a_write_on_an_instance_read_before_the_text_was_agreed(world, write):
    world = prepare(world)
    # The text is agreed after the page read the agreement and before the write starts.
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=S.AGREED)
    before = content(world)
    with pytest.raises(DomainError) as refusal:
        write(world)
    assert "kann nicht mehr bearbeitet werden" in str(refusal.value)
    assert content(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_it_still_writes_while_the_text_is_open(world, write):
    world = prepare(world)
    before = content(world)
    write(world)
    assert content(world) != before


def _is_agreement_lock(sql):
    return 'FROM "agreements_agreement"' in sql and "FOR UPDATE" in sql


def _is_write(sql):
    return sql.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_it_locks_the_agreement_row_before_the_first_write_on_postgresql(world, write):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no SELECT … FOR UPDATE; it serialises writers with its database lock")
    world = prepare(world)
    with CaptureQueriesContext(connection) as ctx:
        write(world)
    sql = [query["sql"] for query in ctx.captured_queries]
    lock = next((i for i, q in enumerate(sql) if _is_agreement_lock(q)), None)
    first_write = next(i for i, q in enumerate(sql) if _is_write(q))
    assert lock is not None, "the agreement row was never locked"
    assert lock < first_write


def _lock_waiters():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


# save_goal took the lock first already (services/goals.py); the race costs a database flush per case.
RACING = {name: write for name, write in WRITES.items() if not name.startswith("save_goal")}


@pytest.mark.postgres
@pytest.mark.parametrize("write", RACING.values(), ids=RACING.keys())
def test_a_write_racing_text_abstimmen_waits_for_it_and_is_refused(postgres, world, write, monkeypatch):
    """agree() holds the row lock from before it takes the final version until it commits. A write that starts
    in that window must wait for the commit and then see "abgestimmt"; were it to check the state it read
    before, it would land in the working text after the final version was taken.

    The county sent Fassung 2, and the ministry accepts it: the race is with the writes still open to the parties
    at that moment, the working text by the ministry ("am Zug", in another tab), a proposal by the county,
    statements by either."""
    world = prepare(world, sent=True)
    assert world.agreement.pen_holder_id() == world.ministry.pk
    before = content(world)
    version_taken, release_agree, write_done = threading.Event(), threading.Event(), threading.Event()
    outcome = {}
    create_version = lifecycle.create_version

    def create_version_then_hold(*args, **kwargs):
        version = create_version(*args, **kwargs)
        version_taken.set()
        release_agree.wait(timeout=30)
        return version

    monkeypatch.setattr(lifecycle, "create_version", create_version_then_hold)

    def agree():
        try:
            lifecycle.agree(user=world.users.ministry, agreement=m.Agreement.objects.get(pk=world.agreement.pk))
            outcome["agree"] = "agreed"
        except Exception as exc:  # asserted below
            outcome["agree"] = exc
        finally:
            connection.close()

    def late_write():
        try:
            # What a page reads now: agree() has not committed yet, the text looks open.
            assert not m.Agreement.objects.get(pk=world.agreement.pk).is_frozen
            write(world)
            outcome["write"] = "written"
        except Exception as exc:  # asserted below
            outcome["write"] = exc
        finally:
            write_done.set()
            connection.close()

    agreeing = threading.Thread(target=agree)
    agreeing.start()
    assert version_taken.wait(timeout=30)
    writing = threading.Thread(target=late_write)
    writing.start()
    deadline = time.monotonic() + 30
    while not write_done.is_set() and not _lock_waiters() and time.monotonic() < deadline:
        time.sleep(0.02)
    release_agree.set()
    agreeing.join(timeout=60)
    writing.join(timeout=60)

    assert outcome["agree"] == "agreed"
    assert isinstance(outcome["write"], DomainError), outcome["write"]
    assert "kann nicht mehr bearbeitet werden" in str(outcome["write"])
    assert m.Agreement.objects.get(pk=world.agreement.pk).status == S.AGREED
    assert content(world) == before

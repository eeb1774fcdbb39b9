import importlib
from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_it_has_no_pending_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=StringIO())
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"Model changes without a migration:\n{out.getvalue()} (exit {exc.code})")


@pytest.mark.django_db
def test_it_marks_goals_saved_outside_their_corridor_before_a_reason_was_required():
    """Migration 0013 gives the goals that would break its constraint the note the archive import gives too; the
    goals inside their corridor keep an empty reason. (Run here on rows that already have one: the constraint
    exists in the test database.)"""
    from decimal import Decimal

    from django.apps import apps

    from agreements import models as m
    from agreements.models.agreements import LEGACY_CORRIDOR_EXCEPTION_REASON

    from .factories import AgreementFactory

    migration = importlib.import_module("agreements.migrations.0013_goal_corridor_exception")
    assert migration.LEGACY_REASON == LEGACY_CORRIDOR_EXCEPTION_REASON
    agreement = AgreementFactory()

    def goal(target, reason=""):
        return m.Goal.objects.create(agreement=agreement, title=f"Ziel {target}", kind="monitoring",
                                     corridor_low=Decimal(24), corridor_high=Decimal(26), target_value=target,
                                     corridor_exception_reason=reason)

    inside, above, below, empty = goal(Decimal(25)), goal(Decimal(40), "x"), goal(Decimal(1), "x"), goal(None)
    migration.mark_goals_saved_outside_their_corridor(apps, None)
    reasons = dict(m.Goal.objects.values_list("pk", "corridor_exception_reason"))
    assert reasons == {inside.pk: "", above.pk: LEGACY_CORRIDOR_EXCEPTION_REASON,
                       below.pk: LEGACY_CORRIDOR_EXCEPTION_REASON, empty.pk: ""}

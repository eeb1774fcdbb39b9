"""Signing and releasing store a PDF; the PDF is rendered while no transaction (and so no row lock) is open,
a failed rendering changes nothing and says so, and the action can simply be tried again."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.pdf import bundle, render  # noqa: F401 - bundle binds the real html_to_pdf for its own pages
from agreements.services import lifecycle
from agreements.services import vorlagen as vorlage_svc

from .builders_confirm import CONFIRMED, confirmed
from .builders_lifecycle import agree, sign_data
from .vorlage_builders import make_vorlage, vorlage_world

S = m.Agreement.Status


class Renderer:
    """Stands in for WeasyPrint's write step: records whether a transaction was open, can fail, can run a hook."""

    def __init__(self, monkeypatch, fail=False, during=None):
        self.calls = []
        self.fail = fail
        self.during = during
        self.real = render.html_to_pdf
        monkeypatch.setattr(render, "html_to_pdf", self)

    def __call__(self, html, **kwargs):
        self.calls.append(connection.in_atomic_block)
        if self.during is not None:
            hook, self.during = self.during, None
            hook()
        if self.fail:
            raise ValueError("Table wrapper without a table")
        return self.real(html, **kwargs)


def first_signature(world):
    agree(world)
    lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data())


def ministry_signs(world):
    return lifecycle.sign(user=world.users.ministry, agreement=world.agreement,
                          data=sign_data("Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf"))


def state_of(world):
    agreement = m.Agreement.objects.get(pk=world.agreement.pk)
    return (agreement.status, agreement.signed_file_id, agreement.signatures.count(), agreement.steps.count(),
            m.Document.objects.count())


@pytest.mark.django_db(transaction=True)
def test_it_renders_the_last_signature_outside_any_transaction(world, monkeypatch):
    first_signature(world)
    renderer = Renderer(monkeypatch)
    ministry_signs(world)
    assert renderer.calls == [False]
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.SIGNED and world.agreement.signed_file is not None


@pytest.mark.django_db
def test_it_changes_nothing_when_the_last_signature_cannot_be_rendered_and_can_be_retried(world, monkeypatch):
    first_signature(world)
    before = state_of(world)
    renderer = Renderer(monkeypatch, fail=True)
    with pytest.raises(DomainError, match="nicht als PDF erzeugt"):
        ministry_signs(world)
    assert state_of(world) == before
    assert before[0] == S.AGREED
    renderer.fail = False
    ministry_signs(world)
    agreement = m.Agreement.objects.get(pk=world.agreement.pk)
    assert agreement.status == S.SIGNED and agreement.signatures.count() == 2
    text = agreement.signed_file.file.open("rb").read()
    assert text.startswith(b"%PDF-")


@pytest.mark.django_db
def test_it_answers_a_failed_rendering_in_the_sign_form_not_with_a_500(world, login, monkeypatch):
    first_signature(world)
    before = state_of(world)
    Renderer(monkeypatch, fail=True)
    response = login(world.users.ministry).post(reverse("agreement_sign", args=[world.agreement.pk]), confirmed({
        "signatory_name": "Dr. Wilhelm Schäffer", "signatory_function": "Staatssekretär",
        "date": timezone.localdate().isoformat(), "place": "Düsseldorf",
    }))
    assert response.status_code == 200
    assert "nicht als PDF erzeugt" in response.content.decode()
    assert state_of(world) == before


@pytest.mark.django_db
def test_it_prints_the_signatures_as_stored_when_they_changed_while_rendering(world, monkeypatch):
    """A change of what the PDF shows between rendering and storing makes it render again: the stored PDF is
    always the one of the stored state."""
    first_signature(world)

    def rename_the_first_signatory():
        m.Signature.objects.filter(agreement=world.agreement).update(signatory_name="Thomas Hendele (neu)")

    renderer = Renderer(monkeypatch, during=rename_the_first_signatory)
    ministry_signs(world)
    assert len(renderer.calls) == 2
    agreement = m.Agreement.objects.get(pk=world.agreement.pk)
    from .builders_files import pdf_text

    assert "Thomas Hendele (neu)" in pdf_text(agreement.signed_file.file.open("rb").read())


@pytest.mark.django_db(transaction=True)
def test_it_renders_the_released_vorlage_outside_any_transaction(world, monkeypatch):
    vorlage = make_vorlage(vorlage_world(world))
    renderer = Renderer(monkeypatch)
    vorlage_svc.release(user=world.users.editor, vorlage=vorlage)
    assert renderer.calls == [False]
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == m.Vorlage.Status.RELEASED


@pytest.mark.django_db
def test_it_changes_nothing_when_the_vorlage_cannot_be_rendered_and_can_be_retried(world, login, monkeypatch):
    vorlage = make_vorlage(vorlage_world(world))
    documents = m.Document.objects.count()
    renderer = Renderer(monkeypatch, fail=True)
    with pytest.raises(DomainError, match="nicht freigegeben"):
        vorlage_svc.release(user=world.users.editor, vorlage=vorlage)
    response = login(world.users.editor).post(reverse("vorlage_release", args=[vorlage.pk]), CONFIRMED, follow=True)
    assert response.status_code == 200
    assert "nicht freigegeben" in response.content.decode()
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert stored.status == m.Vorlage.Status.DRAFT and stored.main_file_id is None
    assert m.Document.objects.count() == documents
    renderer.fail = False
    vorlage_svc.release(user=world.users.editor, vorlage=vorlage)
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == m.Vorlage.Status.RELEASED


@pytest.mark.django_db
def test_it_stores_the_vorlage_as_edited_while_it_was_rendering(world, monkeypatch):
    vorlage = make_vorlage(vorlage_world(world), name="Zielsteuerung 2013")

    def edit_the_title():
        m.Vorlage.objects.filter(pk=vorlage.pk).update(name="Zielsteuerung 2013 (geändert)")

    renderer = Renderer(monkeypatch, during=edit_the_title)
    vorlage_svc.release(user=world.users.editor, vorlage=vorlage)
    assert len(renderer.calls) == 2
    main = m.Vorlage.objects.select_related("main_file").get(pk=vorlage.pk).main_file
    from .builders_files import pdf_text

    assert "(geändert)" in pdf_text(main.file.open("rb").read())


@pytest.mark.django_db(transaction=True)
def test_it_stores_the_pdf_of_a_vorlage_released_without_one_once_outside_any_transaction(world, client,
                                                                                          monkeypatch):
    """An imported paper released before PDFs were stored gets its PDF on the first download (on PostgreSQL the
    row lock must not reach the empty main_file join)."""
    vorlage = make_vorlage(vorlage_world(world), status=m.Vorlage.Status.RELEASED)
    m.Vorlage.objects.filter(pk=vorlage.pk).update(main_file=None)
    renderer = Renderer(monkeypatch)
    first = client.get(reverse("vorlage_pdf", args=[vorlage.pk]))
    second = client.get(reverse("vorlage_pdf", args=[vorlage.pk]))
    assert first.status_code == second.status_code == 200
    assert b"".join(first.streaming_content) == b"".join(second.streaming_content)
    assert renderer.calls == [False]
    stored = m.Vorlage.objects.select_related("main_file").get(pk=vorlage.pk).main_file
    assert stored is not None and stored.kind == m.Document.Kind.VORLAGE

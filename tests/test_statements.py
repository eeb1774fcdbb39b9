import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements import models as m

from . import builders_tabs as tabs
from .builders_files import pdf_bytes
from .builders_queries import assert_fixed_queries
from .factories import ROLES, DocumentFactory

pytestmark = pytest.mark.django_db


tab_url = tabs.agreement_url("agreement_statements")
add_url = tabs.agreement_url("statement_add")
edit_url = tabs.agreement_url("statement_edit", lambda world: world.statement)


def statement_data(world, **extra):
    data = {"party": world.liga.pk, "date": "2012-01-23", "title": "Arbeitsmarktpolitische Stellungnahme",
            "text": "Die Liga regt an …"}
    data.update(extra)
    return data


def edit_data(world, **extra):
    world.statement.refresh_from_db()
    data = statement_data(world, title=world.statement.title, lock_version=world.statement.lock_version)
    data.update(extra)
    return data


# Permissions ---------------------------------------------------------------------------------------------------

test_it_shows_the_tab_per_role = tabs.shows_the_tab_per_role(tab_url)


@pytest.mark.parametrize("role", ROLES)
def test_it_protects_statement_add_per_role(world, login, role):
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, add_url(world), statement_data(world))
    stored = m.Statement.objects.filter(title="Arbeitsmarktpolitische Stellungnahme").exists()
    assert stored == (role in ("editor", "ministry"))


@pytest.mark.parametrize("role", ROLES)
def test_it_protects_statement_edit_per_role(world, login, role):
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, edit_url(world),
                              edit_data(world, include_as_annex="on"))
    world.statement.refresh_from_db()
    assert world.statement.include_as_annex == (role in ("editor", "ministry"))


def test_it_hides_a_statement_of_another_agreement(world, login):
    other = m.Statement.objects.create(agreement=world.other_agreement, party=world.liga, date=world.statement.date,
                                       title="Fremd")
    url = reverse("statement_edit", args=[world.agreement.pk, other.pk])
    assert login(world.users.editor).get(url).status_code == 404


# Adding and editing --------------------------------------------------------------------------------------------

def test_it_records_a_statement_with_a_step(world, login):
    client = login(world.users.editor)
    response = client.post(add_url(world), statement_data(world, include_as_annex="on"))
    assert response.status_code == 302
    statement = m.Statement.objects.get(title="Arbeitsmarktpolitische Stellungnahme")
    assert (statement.party, statement.include_as_annex, statement.created_by) == (
        world.liga, True, world.users.editor)
    step = world.agreement.steps.get(kind="stellungnahme", automatic=True)
    assert step.date == statement.date
    assert "Liga der Wohlfahrtsverbände" in step.display_description and "als Anlage" in step.display_description
    assert list(step.participants.all()) == [world.liga]


def test_it_lists_associations_first(world, login):
    form = login(world.users.editor).get(add_url(world)).context["form"]
    assert list(form.fields["party"].queryset)[0] == world.liga


def test_it_lists_the_statements(world, login):
    world.statement.include_as_annex = True
    world.statement.text = "Zeile 1\nZeile 2"
    world.statement.save()
    body = login(world.users.reader).get(tab_url(world)).content.decode()
    assert "Stellungnahme der Liga" in body and "23.01.2013" in body
    assert "Liga der Wohlfahrtsverbände" in body and "Zeile 1<br>Zeile 2" in body
    assert "<caption>" in body
    assert add_url(world) not in body and edit_url(world) not in body


def test_it_toggles_the_annex_flag_and_fixes_the_text(world, login):
    client = login(world.users.ministry)
    response = client.post(edit_url(world), edit_data(world, include_as_annex="on", text="berichtigt"))
    assert response.status_code == 302
    world.statement.refresh_from_db()
    assert world.statement.include_as_annex and world.statement.text == "berichtigt"
    response = client.post(edit_url(world), edit_data(world))
    world.statement.refresh_from_db()
    assert not world.statement.include_as_annex


def test_it_prefills_the_edit_form_with_an_iso_date_for_the_date_input(world, login):
    body = login(world.users.editor).get(edit_url(world)).content.decode()
    assert 'type="date" name="date" value="2013-01-23"' in body


def test_it_shows_a_conflict_when_the_statement_changed_meanwhile(world, login):
    tabs.assert_conflict(login(world.users.editor), edit_url(world), lambda **changes: edit_data(world, **changes),
                         world.statement, "text")


def test_it_refuses_writes_when_the_agreement_is_frozen(world, login):
    world.agreement.status = m.Agreement.Status.SIGNED
    world.agreement.save()
    client = login(world.users.editor)
    assert client.post(add_url(world), statement_data(world)).status_code == 302
    assert client.post(edit_url(world), edit_data(world, include_as_annex="on")).status_code == 302
    assert m.Statement.objects.count() == 1
    world.statement.refresh_from_db()
    assert not world.statement.include_as_annex
    assert add_url(world) not in client.get(tab_url(world)).content.decode()


@pytest.mark.parametrize("change", [
    {"title": ""},
    {"title": "x" * 301},
    {"date": ""},
    {"date": "2013-02-30"},
    {"date": "gestern"},
    {"party": ""},
    {"party": "999999"},
    {"text": "x" * 20001},
])
def test_it_refuses_bad_statements(world, login, change):
    client = login(world.users.editor)
    tabs.assert_refused_input(client, add_url(world), statement_data(world, **change), m.Statement)
    tabs.assert_refused_input(client, edit_url(world), edit_data(world, **change), m.Statement)
    assert m.Statement.objects.count() == 1
    world.statement.refresh_from_db()
    assert world.statement.title == "Stellungnahme der Liga"


def test_it_refuses_an_empty_post(world, login):
    tabs.assert_refused_input(login(world.users.editor), add_url(world), {}, m.Statement)
    assert m.Statement.objects.count() == 1


def test_it_stores_markup_as_text_and_shows_it_escaped(world, login):
    markup = tabs.MARKUP
    tabs.assert_stores_markup_as_text(login(world.users.editor), add_url(world),
                                      statement_data(world, title=markup, text=markup),
                                      m.Statement.objects.filter(title=markup, text=markup), tab_url(world))


# Files ---------------------------------------------------------------------------------------------------------

def require_store_upload():
    documents = pytest.importorskip("agreements.services.documents")
    if not hasattr(documents, "store_upload"):
        pytest.skip("agreements.services.documents.store_upload does not exist yet")


def test_it_stores_an_uploaded_file_and_links_it(world, login):
    require_store_upload()
    client = login(world.users.editor)
    upload = SimpleUploadedFile("liga.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(add_url(world), statement_data(world, file=upload))
    assert response.status_code == 302
    statement = m.Statement.objects.get(title="Arbeitsmarktpolitische Stellungnahme")
    assert statement.document.kind == m.Document.Kind.STATEMENT
    assert statement.document.agreement == world.agreement
    body = client.get(tab_url(world)).content.decode()
    assert reverse("document_download", args=[statement.document_id]) in body


def test_it_refuses_a_file_that_is_no_document(world, login):
    require_store_upload()
    upload = SimpleUploadedFile("liga.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = login(world.users.editor).post(add_url(world), statement_data(world, file=upload))
    assert response.status_code == 200 and response.context["form"].errors
    assert m.Statement.objects.count() == 1
    assert not m.Document.objects.exists()


# Queries -------------------------------------------------------------------------------------------------------

def make_statements(world, total):
    for i in range(total - world.agreement.statements.count()):
        m.Statement.objects.create(agreement=world.agreement, party=world.liga, date=world.statement.date,
                                   title=f"Stellungnahme {i}", text="Text", include_as_annex=bool(i % 2),
                                   document=DocumentFactory(agreement=world.agreement))


def test_it_shows_the_tab_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.editor)
    assert_fixed_queries(client, tab_url(world), lambda total: make_statements(world, total), most=11)

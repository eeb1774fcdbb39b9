"""OParl 1.1 API: schema-valid, linked, paginated, filtered, and never showing what is not public."""

import datetime
import hashlib
import io
import json
import os
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pikepdf
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from agreements import models as m

from .demo_data import demo_files
from .factories import DocumentFactory, VorlageFactory, aware

BASE = "/oparl/v1/"
ORIGIN = "http://testserver"
OPARL = "https://schema.oparl.org/1.1/"
JSON = "application/json; charset=utf-8"
TYPES = ("System", "Body", "Organization", "Person", "Meeting", "AgendaItem", "Paper", "Consultation", "File",
         "Location", "LegislativeTerm", "Membership")

NONPUBLIC_REFERENCE = "50/091/2012"
NONPUBLIC_NAME = "Personalangelegenheit Geheimhaltung Nordflügel"
NONPUBLIC_AUTHOR = "Verschwiegen"
NONPUBLIC_ANLAGE = "Vertrauliche Personalliste"
NONPUBLIC_ITEM = "Vergabe Reinigungsdienst (nichtöffentlich)"
DRAFT_REFERENCE = "50/092/2012"
DRAFT_NAME = "Entwurf Zielsteuerung 2013 Südkreis"
DRAFT_ANLAGE = "Entwurfsanlage Südkreis"
WITHDRAWN_REFERENCE = "50/093/2012"
WITHDRAWN_NAME = "Zurückgezogene Vorlage Ostbezirk"
MAIN_REFERENCE = "50/094/2012"
AUTHOR_EMAIL = "ulrike.gansauer@kreis-mettmann.example"
SECRETS = (NONPUBLIC_REFERENCE, NONPUBLIC_NAME, NONPUBLIC_AUTHOR, NONPUBLIC_ANLAGE, NONPUBLIC_ITEM,
           DRAFT_REFERENCE, DRAFT_NAME, DRAFT_ANLAGE, AUTHOR_EMAIL)


# --- Schemas ------------------------------------------------------------------------------------------------

def _schema_dir():
    """The unchanged OParl 1.1 schema files (see their README); OPARL_SCHEMA_DIR overrides the places tried."""
    # The project carries its own copy (tests/data/README.md has the source and licence).
    candidates = [os.environ.get("OPARL_SCHEMA_DIR"), Path(__file__).resolve().parent / "data" / "oparl-1.1-schema"]
    for candidate in filter(None, candidates):
        if (Path(candidate) / "Paper.json").is_file():
            return Path(candidate)
    pytest.fail("OParl 1.1 schema files not found; set OPARL_SCHEMA_DIR")


def _format_checker():
    checker = FormatChecker(formats=())

    @checker.checks("url")
    def _url(value):
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value):
        return datetime.datetime.fromisoformat(value).tzinfo is not None

    @checker.checks("date", raises=ValueError)
    def _date(value):
        return bool(datetime.date.fromisoformat(value))

    return checker


class Schemas:
    """Validators per OParl type, resolving references between the files by their names ("Body.json")."""

    def __init__(self, folder):
        self.schemas = {}
        resources = []
        for path in sorted(folder.glob("*.json")):
            if path.name.startswith("example-"):
                continue
            contents = json.loads(path.read_text(encoding="utf-8"))
            self.schemas[path.stem] = contents
            resources.append((path.name, Resource.from_contents(contents, default_specification=DRAFT202012)))
        registry = Registry().with_resources(resources)
        checker = _format_checker()
        self.validators = {
            name: Draft202012Validator(schema, registry=registry, format_checker=checker)
            for name, schema in self.schemas.items()
        }

    def check(self, obj, expected=None):
        """Validate obj and, recursively, every object embedded in it against its own type's schema."""
        assert isinstance(obj, dict), obj
        type_name = obj.get("type", "").removeprefix(OPARL)
        assert type_name in TYPES, obj.get("type")
        if expected:
            assert type_name == expected, (type_name, expected)
        errors = sorted(self.validators[type_name].iter_errors(obj), key=str)
        assert not errors, f"{obj['id']}: {[e.message for e in errors]}"
        # The 1.1 text makes these mandatory for every object (README of the schema folder).
        assert "created" in obj and "modified" in obj, obj["id"]
        for name, spec in self.schemas[type_name]["properties"].items():
            if name not in obj:
                continue
            if spec.get("type") == "object" and "schema" in spec:
                self.check(obj[name], spec["schema"].removesuffix(".json"))
            elif spec.get("type") == "array" and "schema" in spec.get("items", {}):
                for item in obj[name]:
                    self.check(item, spec["items"]["schema"].removesuffix(".json"))

    def check_response(self, data):
        if "data" in data and "pagination" in data:
            for item in data["data"]:
                self.check(item)
        else:
            self.check(data)


@pytest.fixture(scope="session")
def schemas():
    return Schemas(_schema_dir())


# --- Data ---------------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _clear_cache():
    # The SHA-512 cache is keyed by content; cleared so that no test sees another's files.
    cache.clear()
    yield
    cache.clear()


def pdf_bytes(label):
    """A small valid PDF (the search index reads every stored PDF), different for every label."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = label
    buffer = io.BytesIO()
    pdf.save(buffer, static_id=True)
    return buffer.getvalue()


def make_paper(demo, number, name, *, public=True, status=m.Vorlage.Status.DONE, released=True, author=None,
               anlagen=(), main_file=None, consult=True, agenda_public=True):
    """A Vorlage of the Kreis Mettmann's Sozialamt with Anlagen and a consultation in the demo meeting, created
    as a draft (released children cannot be written) and then moved to `status` directly."""
    vorlage = VorlageFactory(
        department=demo.department, running_number=number, author=author or demo.author, name=name,
        public=public, non_public_reason="" if public else "Personalangelegenheit (§ 48 Abs. 2 KrO NRW)",
    )
    for order, title in enumerate(anlagen, start=1):
        document = DocumentFactory(title=title, content=pdf_bytes(f"{name} {title}"),
                                   original_filename=f"anlage-{number}-{order}.pdf")
        m.VorlageAnlage.objects.create(vorlage=vorlage, order=order, title=title, document=document)
    if consult:
        consultation = m.Consultation.objects.create(
            paper=vorlage, committee=demo.committee, meeting=demo.meeting, meeting_date=datetime.date(2012, 5, 21),
            role=m.Consultation.Role.DECISION, authoritative=True, order=1,
        )
        m.AgendaItem.objects.create(meeting=demo.meeting, number=str(number), order=number, name=name,
                                    public=agenda_public, consultation=consultation)
    m.Vorlage.objects.filter(pk=vorlage.pk).update(
        status=status, released_at=aware(2012, 4, 20) if released else None, main_file=main_file,
    )
    vorlage.refresh_from_db()
    return vorlage


@pytest.fixture
def demo(demo_module, db, settings):
    """The demo, loaded once for the module (tests/demo_data.py) with its files in the test's MEDIA_ROOT."""
    demo_files(demo_module, settings)
    paper = m.Vorlage.objects.select_related("department__party", "author").get(reference="50/015/2012")
    consultation = paper.consultations.select_related("committee", "meeting").get()
    return SimpleNamespace(
        paper=paper, body=paper.department.party, department=paper.department, author=paper.author,
        consultation=consultation, committee=consultation.committee, meeting=consultation.meeting,
    )


@pytest.fixture
def world(demo):
    """The demo plus what must stay hidden (a nichtöffentliche Vorlage, a draft, a non-public agenda item), a
    withdrawn public Vorlage and a public one with a stored main file."""
    # An e-mail address on the demo's Bearbeiterin: a person's contact data must never be published.
    m.Person.objects.filter(pk=demo.author.pk).update(email=AUTHOR_EMAIL)
    secret_author = m.Person.objects.create(party=demo.body, family_name=NONPUBLIC_AUTHOR, given_name="Vera",
                                            function="Bearbeiterin", email="vera@example.org")
    nonpublic = make_paper(demo, 91, NONPUBLIC_NAME, public=False, author=secret_author,
                           anlagen=[NONPUBLIC_ANLAGE])
    draft = make_paper(demo, 92, DRAFT_NAME, status=m.Vorlage.Status.DRAFT, released=False, anlagen=[DRAFT_ANLAGE])
    withdrawn = make_paper(demo, 93, WITHDRAWN_NAME, status=m.Vorlage.Status.WITHDRAWN, anlagen=["Alte Anlage"])
    main = DocumentFactory(title="Vorlage 50/094/2012", content=pdf_bytes("Hauptdokument"),
                           original_filename="Vorlage 50-094-2012 Übersicht.pdf")
    with_main = make_paper(demo, 94, "Bericht über die Zielerreichung 2012", status=m.Vorlage.Status.IN_CONSULTATION,
                           anlagen=["Übersicht der Kennzahlen"], main_file=main)
    secret_item = m.AgendaItem.objects.create(meeting=demo.meeting, number="9", order=9, name=NONPUBLIC_ITEM,
                                              public=False)
    open_item = m.AgendaItem.objects.create(meeting=demo.meeting, number="1", order=1,
                                            name="Genehmigung der Niederschrift", public=True)
    return SimpleNamespace(**vars(demo), nonpublic=nonpublic, draft=draft, withdrawn=withdrawn, with_main=with_main,
                           main_file=main, secret_author=secret_author, secret_item=secret_item, open_item=open_item)


def get(client, url, **params):
    return client.get(url.removeprefix(ORIGIN), params)


def get_json(client, url, status=200, **params):
    response = get(client, url, **params)
    assert response.status_code == status, (url, response.status_code, response.content[:300])
    assert response["Content-Type"] == JSON
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def body_url(world, list_name=""):
    return f"{BASE}body/{world.body.pk}/{list_name + '/' if list_name else ''}"


def _urls_in(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _urls_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _urls_in(item)
    elif isinstance(value, str) and value.startswith(ORIGIN + BASE):
        yield value


def _objects_in(value):
    if isinstance(value, dict):
        if "type" in value and "id" in value:
            yield value
        for item in value.values():
            yield from _objects_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects_in(item)


def crawl(client, schemas, limit=400):
    """Breadth-first from the System object over every URL into the API; returns {url: response}."""
    seen, queue, responses = {ORIGIN + BASE}, deque([ORIGIN + BASE]), {}
    file_urls = {}  # content URL -> (disposition, mime type, gone)
    while queue:
        url = queue.popleft()
        assert len(responses) < limit, "crawl did not end"
        response = get(client, url)
        responses[url] = response
        assert response["Access-Control-Allow-Origin"] == "*", url
        if url in file_urls:
            disposition, mime_type, gone = file_urls[url]
            if gone:
                assert response.status_code == 410, url
                continue
            assert response.status_code == 200, (url, response.status_code)
            assert response["Content-Type"] == mime_type
            assert response["Content-Disposition"].startswith(disposition), response["Content-Disposition"]
            continue
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        assert response["Content-Type"] == JSON
        data = response.json()
        schemas.check_response(data)
        for obj in _objects_in(data):
            if obj["type"] == OPARL + "File":
                gone = obj.get("deleted", False)
                file_urls[obj["accessUrl"]] = ("inline", obj.get("mimeType"), gone)
                if "downloadUrl" in obj:
                    file_urls[obj["downloadUrl"]] = ("attachment", obj.get("mimeType"), gone)
        for found in _urls_in(data):
            if found not in seen:
                seen.add(found)
                queue.append(found)
    return responses


# --- Tests --------------------------------------------------------------------------------------------------

def test_it_describes_the_system(client, world, schemas):
    data = get_json(client, BASE)
    schemas.check(data, "System")
    assert data["oparlVersion"] == "https://schema.oparl.org/1.1/"
    assert data["body"] == f"{ORIGIN}{BASE}body/"


def test_it_lists_the_kreis_as_the_only_body(client, world, schemas):
    data = get_json(client, f"{BASE}body/")
    assert [body["name"] for body in data["data"]] == ["Kreis Mettmann"]
    body = data["data"][0]
    schemas.check(body, "Body")
    assert body["legislativeTerm"] == []
    assert body == get_json(client, body["id"])
    # Another county without a published paper is no body; nor is the ministry.
    neuss = m.Party.objects.get(key="rhein-kreis-neuss")
    get_json(client, f"{BASE}body/{neuss.pk}/", status=404)
    get_json(client, f"{BASE}body/{neuss.pk}/paper/", status=404)


def test_it_answers_every_link_with_valid_objects(client, world, schemas):
    responses = crawl(client, schemas)
    urls = set(responses)
    for name in ("paper", "consultation", "meeting", "organization", "person", "agendaitem", "file"):
        assert any(f"{BASE}{name}/" in url for url in urls), name
    main_file = f"{ORIGIN}{BASE}file/{world.main_file.pk}/"
    assert f"{main_file}access/" in urls and f"{main_file}download/" in urls
    # Every demo Anlage is reachable and downloadable.
    for anlage in world.paper.anlagen.all():
        assert responses[f"{ORIGIN}{BASE}file/{anlage.document_id}/download/"].status_code == 200


def test_it_never_shows_what_is_not_public(client, world, schemas):
    responses = crawl(client, schemas)
    for url, response in responses.items():
        if response["Content-Type"] != JSON:
            continue
        text = response.content.decode()
        for secret in SECRETS:
            assert secret not in text, (secret, url)
    hidden_consultations = m.Consultation.objects.filter(paper__in=[world.nonpublic, world.draft])
    hidden_documents = m.VorlageAnlage.objects.filter(vorlage__in=[world.nonpublic, world.draft])
    hidden = [
        f"paper/{world.nonpublic.pk}/", f"paper/{world.draft.pk}/", f"person/{world.secret_author.pk}/",
        f"agendaitem/{world.secret_item.pk}/",
        *(f"consultation/{c.pk}/" for c in hidden_consultations),
        *(f"agendaitem/{i.pk}/" for i in m.AgendaItem.objects.filter(consultation__in=hidden_consultations)),
        *(f"file/{a.document_id}/{suffix}" for a in hidden_documents for suffix in ("", "access/", "download/")),
    ]
    for path in hidden:
        assert ORIGIN + BASE + path not in responses
        get_json(client, BASE + path, status=404)
    # Persons: the Bearbeiterin of the published papers only, with name and function, no contact data.
    persons = get_json(client, body_url(world, "person"))["data"]
    assert [p["name"] for p in persons] == ["Ulrike Gansauer"]
    assert persons[0]["status"] == ["Bearbeiterin"]
    assert not {"email", "phone"} & set(persons[0])
    # The public agenda items of the meeting are there, the non-public one is not.
    meeting = get_json(client, f"{BASE}meeting/{world.meeting.pk}/")
    names = [item["name"] for item in meeting["agendaItem"]]
    assert "Genehmigung der Niederschrift" in names and NONPUBLIC_ITEM not in names
    assert [item["order"] for item in meeting["agendaItem"]] == sorted(item["order"] for item in meeting["agendaItem"])


def test_it_shows_a_withdrawn_paper_as_deleted(client, world, schemas):
    data = get_json(client, f"{BASE}paper/{world.withdrawn.pk}/")
    schemas.check(data, "Paper")
    assert data["deleted"] is True
    assert set(data) == {"id", "type", "created", "modified", "deleted"}
    listed = {p["id"]: p for p in get_json(client, body_url(world, "paper"), limit=100)["data"]}
    assert listed[data["id"]] == data
    consultation = world.withdrawn.consultations.get()
    assert get_json(client, f"{BASE}consultation/{consultation.pk}/")["deleted"] is True
    document_id = world.withdrawn.anlagen.get().document_id
    gone = get_json(client, f"{BASE}file/{document_id}/")
    schemas.check(gone, "File")
    assert gone["deleted"] is True
    get_json(client, gone["accessUrl"], status=410)
    get_json(client, f"{BASE}file/{document_id}/download/", status=410)
    # The deleted file keeps nothing of the paper.
    assert WITHDRAWN_NAME not in json.dumps(get_json(client, body_url(world, "file"), limit=100), ensure_ascii=False)


def test_it_embeds_files_and_consultations_in_the_paper(client, world, schemas):
    data = get_json(client, f"{BASE}paper/{world.paper.pk}/")
    schemas.check(data, "Paper")
    assert data["reference"] == "50/015/2012"
    assert data["paperType"] == "Beschlussvorlage"
    assert [f["name"] for f in data["auxiliaryFile"]] == [
        a.document.title for a in world.paper.anlagen.select_related("document").order_by("order")]
    assert "mainFile" not in data  # the demo paper's PDF has not been rendered yet
    (consultation,) = data["consultation"]
    assert consultation["role"] == "Kenntnisnahme" and consultation["authoritative"] is True
    assert consultation["meeting"] == f"{ORIGIN}{BASE}meeting/{world.meeting.pk}/"
    assert consultation["organization"] == [f"{ORIGIN}{BASE}organization/{world.committee.pk}/"]
    item = get_json(client, consultation["agendaItem"])
    assert item["result"] == "zur Kenntnis genommen"
    assert item["consultation"] == consultation["id"]
    assert data["originatorPerson"] == [f"{ORIGIN}{BASE}person/{world.author.pk}/"]
    with_main = get_json(client, f"{BASE}paper/{world.with_main.pk}/")
    assert with_main["mainFile"]["name"] == "Vorlage 50/094/2012"
    assert with_main["mainFile"]["fileName"] == "Vorlage 50-094-2012 Übersicht.pdf"
    standalone = get_json(client, with_main["mainFile"]["id"])
    assert standalone["paper"] == [with_main["id"]]
    assert {k: v for k, v in standalone.items() if k != "paper"} == with_main["mainFile"]


def test_it_serves_files_with_their_checksum(client, world):
    paper = get_json(client, f"{BASE}paper/{world.with_main.pk}/")
    for file in [paper["mainFile"], *get_json(client, f"{BASE}paper/{world.paper.pk}/")["auxiliaryFile"]]:
        download = get(client, file["downloadUrl"])
        assert download.status_code == 200
        content = b"".join(download.streaming_content)
        assert hashlib.sha512(content).hexdigest() == file["sha512Checksum"]
        assert len(content) == file["size"]
        assert download["Content-Type"] == file["mimeType"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment;")
        access = get(client, file["accessUrl"])
        assert access["Content-Disposition"].startswith("inline;")
        assert b"".join(access.streaming_content) == content
    # RFC 5987: the real name survives, with an ASCII fallback.
    disposition = get(client, paper["mainFile"]["downloadUrl"])["Content-Disposition"]
    assert "filename*=utf-8''Vorlage%2050-094-2012%20%C3%9Cbersicht.pdf" in disposition


def test_it_refuses_to_serve_a_tampered_file(client, world):
    file = get_json(client, f"{BASE}file/{world.main_file.pk}/")
    with open(world.main_file.file.path, "wb") as handle:
        handle.write(pdf_bytes("manipuliert"))
    for url in (file["downloadUrl"], file["accessUrl"]):
        error = get_json(client, url, status=409)
        assert "verändert" in error["error"]["message"]
    # Without the cached checksum the object leaves sha512Checksum out rather than describe the wrong bytes.
    cache.clear()
    assert "sha512Checksum" not in get_json(client, file["id"])


def test_it_filters_by_modification_time(client, world):
    stamps = {
        world.paper.pk: aware(2012, 5, 1),
        world.withdrawn.pk: aware(2013, 1, 1, 0),
        world.with_main.pk: aware(2014, 1, 1),
    }
    for pk, stamp in stamps.items():
        m.Vorlage.objects.filter(pk=pk).update(modified=stamp)
    url = body_url(world, "paper")

    def references(**params):
        return {p["id"].rstrip("/").rsplit("/", 1)[1]
                for p in get_json(client, url, limit=100, **params)["data"]}

    everything = {str(pk) for pk in stamps}
    assert references() == everything
    assert references(modified_since="2013-01-01T00:00:00+01:00") == {str(world.withdrawn.pk), str(world.with_main.pk)}
    assert references(modified_since="2012-12-31T23:00:00Z") == {str(world.withdrawn.pk), str(world.with_main.pk)}
    assert references(modified_until="2013-01-01T00:00:00+01:00") == {str(world.paper.pk), str(world.withdrawn.pk)}
    assert references(modified_since="2012-06-01T00:00:00+02:00", modified_until="2013-06-01T00:00:00+02:00") == {
        str(world.withdrawn.pk)}
    # The filters are kept in the page links.
    links = get_json(client, url, modified_since="2013-01-01T00:00:00+01:00")["links"]
    assert "modified_since=2013-01-01T00%3A00%3A00%2B01%3A00" in links["self"]
    # An unencoded "+" arrives as a space and is still understood.
    response = client.get(url + "?modified_since=2013-01-01T00:00:00+01:00&limit=100")
    assert len(response.json()["data"]) == 2
    for bad in ("gestern", "2013-13-01T00:00:00+01:00", "2013-01-01T00:00:00", "2013-01-01", ""):
        error = get_json(client, url, status=400, modified_since=bad)
        assert "modified_since" in error["error"]["message"]
    get_json(client, url, status=400, modified_until="bald")


def test_it_paginates_with_correct_links_and_totals(client, world, schemas):
    for number in (95, 96):
        make_paper(world, number, f"Weitere Vorlage {number}", consult=False)
    url = body_url(world, "paper")
    absolute = ORIGIN + url
    first = get_json(client, url, limit=2)
    assert first["pagination"] == {"totalElements": 5, "elementsPerPage": 2, "currentPage": 1, "totalPages": 3}
    assert first["links"] == {"first": f"{absolute}?limit=2&page=1", "next": f"{absolute}?limit=2&page=2",
                              "last": f"{absolute}?limit=2&page=3", "self": f"{absolute}?limit=2&page=1"}
    second = get_json(client, first["links"]["next"])
    assert second["pagination"]["currentPage"] == 2
    assert second["links"]["prev"] == first["links"]["self"] and second["links"]["next"].endswith("page=3")
    third = get_json(client, second["links"]["next"])
    assert "next" not in third["links"] and third["links"]["self"] == first["links"]["last"]
    ids = [p["id"] for page in (first, second, third) for p in page["data"]]
    assert [len(page["data"]) for page in (first, second, third)] == [2, 2, 1]
    assert len(set(ids)) == 5
    assert set(ids) == {p["id"] for p in get_json(client, url, limit=100)["data"]}
    for page in (first, second, third):
        schemas.check_response(page)
    assert get_json(client, url, limit=1000)["pagination"]["elementsPerPage"] == 100
    assert get_json(client, url)["pagination"]["elementsPerPage"] == 20
    get_json(client, url, status=404, limit=2, page=4)
    for params in ({"page": "zwei"}, {"page": "0"}, {"limit": "0"}, {"limit": "-3"}, {"limit": "x"}):
        get_json(client, url, status=400, **params)


def test_it_is_read_only_json_for_everyone(client, world):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"{BASE}paper/{world.paper.pk}/")
        assert response.status_code == 405, method
        assert response["Allow"] == "GET, HEAD"
        assert response["Content-Type"] == JSON
        assert response["Access-Control-Allow-Origin"] == "*"
    head = client.head(f"{BASE}paper/{world.paper.pk}/")
    assert head.status_code == 200 and head.content == b""
    assert int(head["Content-Length"]) == len(client.get(f"{BASE}paper/{world.paper.pk}/").content)
    head = client.head(f"{BASE}file/{world.main_file.pk}/download/")
    assert head.status_code == 200 and head["Content-Disposition"].startswith("attachment;")
    assert int(head["Content-Length"]) == world.main_file.size
    # No login, whatever language the browser asks for: the data is German.
    response = client.get(f"{BASE}paper/{world.paper.pk}/", headers={"Accept-Language": "en"})
    assert response.json()["paperType"] == "Beschlussvorlage"
    missing = get_json(client, f"{BASE}paper/999999/", status=404)
    assert missing["error"]["status"] == 404


def _query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"limit": 100})
    assert response.status_code == 200
    return len(queries), response.json()["pagination"]["totalElements"]


LISTS = ("paper", "meeting", "agendaitem", "consultation", "file", "person", "organization")


def test_it_lists_with_a_fixed_number_of_queries(client, demo):
    def add(start, stop):
        for number in range(start, stop):
            author = m.Person.objects.create(party=demo.body, family_name=f"Bearbeiter {number}")
            make_paper(demo, number, f"Vorlage Nummer {number}", author=author, anlagen=["Anlage A", "Anlage B"])
            meeting = m.Meeting.objects.create(committee=demo.committee, start=aware(2013, 1, 1 + number % 28))
            m.AgendaItem.objects.create(meeting=meeting, number="1", order=1, name="Eröffnung")
            m.Committee.objects.create(party=demo.body, name=f"Ausschuss {number}")

    add(100, 101)  # with the demo's paper: 2 public papers
    small = {name: _query_count(client, body_url(demo, name)) for name in LISTS}
    assert small["paper"][1] == 2
    add(101, 114)  # 15 public papers
    large = {name: _query_count(client, body_url(demo, name)) for name in LISTS}
    assert large["paper"][1] == 15
    for name in LISTS:
        assert large[name][1] > small[name][1], name
        assert large[name][0] == small[name][0], (name, small[name][0], large[name][0])


def test_it_refuses_a_missing_file_and_leaves_out_its_checksum(client, world):
    Path(world.main_file.file.path).unlink()
    file = get_json(client, f"{BASE}file/{world.main_file.pk}/")
    assert "sha512Checksum" not in file
    assert get_json(client, file["downloadUrl"], status=409)["error"]["message"] == "Die gespeicherte Datei fehlt."


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _paper_with_main_file(demo, number, document):
    return make_paper(demo, number, f"Vorlage mit Hauptdatei {number}", status=m.Vorlage.Status.IN_CONSULTATION,
                      main_file=document, consult=False)


def test_it_never_serves_a_stored_file_of_a_type_uploads_do_not_accept(client, demo):
    """An HTML "document" (a row written past the upload checks, e.g. by an old import) is not served at all:
    inline it would run its script on the API's origin."""
    html = DocumentFactory(title="Harmlos", content=b"<!doctype html><script>alert(document.cookie)</script>",
                           content_type="text/html", original_filename="harmlos.html")
    _paper_with_main_file(demo, 95, html)
    file = get_json(client, f"{BASE}file/{html.pk}/")
    for url in (file["accessUrl"], file["downloadUrl"]):
        for method in (client.get, client.head):
            response = method(url.removeprefix(ORIGIN))
            assert response.status_code == 409, (url, method)
            assert response["Content-Type"] == JSON
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "text/html" not in response["Content-Type"]
        assert "Dateityp" in get_json(client, url, status=409)["error"]["message"]


def test_it_serves_only_pdf_inline_and_always_with_nosniff(client, demo):
    docx = DocumentFactory(title="Tabelle", content=b"PK\x03\x04 docx bytes", content_type=DOCX_TYPE,
                           original_filename="tabelle.docx")
    pdf = DocumentFactory(title="Bericht", content=pdf_bytes("Bericht"), original_filename="bericht.pdf")
    _paper_with_main_file(demo, 96, docx)
    _paper_with_main_file(demo, 97, pdf)
    for document, inline in ((docx, False), (pdf, True)):
        file = get_json(client, f"{BASE}file/{document.pk}/")
        access = get(client, file["accessUrl"])
        assert access.status_code == 200
        assert access["Content-Type"] == document.content_type
        assert access["X-Content-Type-Options"] == "nosniff"
        assert access["Content-Disposition"].startswith("inline;" if inline else "attachment;"), document.title
        download = get(client, file["downloadUrl"])
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"

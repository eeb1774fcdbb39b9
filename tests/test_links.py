"""Every link a demo user is shown leads somewhere they may go (issue 10, E.16).

For each demo role the crawler starts at the start page and follows every same-origin `<a href>` breadth-first,
redirects included, with the Django test client. No link may answer 403, 404 or a server error: whether a link
is shown is decided by the same rule that decides access. Downloads (PDF, CSV, XLSX) count as pages and must
answer 200 as well.

Bounds, so that the crawl stays fast and finite: at most MAX_PAGES pages per role, and the crawl must end before
that (all links checked). The Django admin has a page per row and a sort/filter variant per column: it is followed
to ADMIN_DEPTH levels below its index (changelist, change page, its history / "view on site"), without
query-string variants, and to one page of each kind (one change page per model, one history, ...: the admin
pages of one kind share their template and links). The anonymous visitor also starts at the public list of
committee papers, which is public by law and reached by its address; the others also start at search results
(the search is a GET form, not a link). Links that are not pages of this site (mailto:, tel:, javascript:,
other hosts, fragments of the same page) are not followed. Logging out and everything else with a side effect
is a POST form, not a link.
"""

import re
from collections import Counter, deque
from html.parser import HTMLParser
from time import monotonic
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from agreements import models as m

DEMO_ROLES = ("anonymous", "kreis-editor", "kreis-reader", "neuss-editor", "mais-editor", "ausschuss", "admin")
MAX_PAGES = 480  # the admin reached 400 with the signing keys, the TSA and the trust anchors (issue 15)
ADMIN_DEPTH = 3
ADMIN_PAGES_PER_PATTERN = 1
# The search form is a GET form, not a link: its results for the demo's words are starting points as well.
SEARCHES = tuple(f"/suche/?q={word}" for word in ("Mettmann", "Jobcenter", "Stellungnahme", "Vorlage", "2012"))
STARTS = {"anonymous": ("/", "/vorlagen/oeffentlich/")}
SKIPPED_PATHS = ("/abmelden/",)
HTML = "text/html"


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href is not None:
                self.links.append(href)


def links_of(html):
    parser = LinkParser()
    parser.feed(html)
    parser.close()
    return parser.links


def same_origin_target(base, href):
    """The path (with query) the link leads to on this site, or None for links that are not followed."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    absolute, _fragment = urldefrag(urljoin("http://testserver" + base, href))
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
        return None
    if parts.path.startswith(SKIPPED_PATHS):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def admin_depth(path, referrer_depth):
    """Depth below the admin index; None when the link is not an admin page."""
    if not path.startswith("/admin/"):
        return None
    if path.split("?")[0] == "/admin/":
        return 0
    return referrer_depth + 1


def admin_pattern(path):
    """The kind of admin page: /admin/<app>/<model>/<N>/change/ for every row's change page, and so on."""
    return re.sub(r"/\d+/", "/N/", path)


def crawl(client, starts=("/",)):
    """Visits pages breadth-first; returns (visited count, whether every link was followed, broken links as
    (url, status, referrer))."""
    queue = deque((start, None, None) for start in starts)
    seen = set(starts)
    per_admin_pattern = Counter()
    broken = []
    visited = 0
    while queue and visited < MAX_PAGES:
        url, referrer, depth = queue.popleft()
        response = client.get(url)
        visited += 1
        status = response.status_code
        if status in (403, 404) or status >= 500:
            broken.append((url, status, referrer))
            continue
        if response.streaming:
            # A download: read it through, as a browser would (stored files are checked while served). Reading it
            # to the end closes it the way the test client expects; closing it again would fire request_finished
            # and, on PostgreSQL, close the test's database connection.
            b"".join(response.streaming_content)
        if status in (301, 302, 303, 307, 308):
            targets = [response["Location"]]
        elif status == 200 and response.get("Content-Type", "").startswith(HTML):
            targets = links_of(response.content.decode(response.charset or "utf-8"))
        elif status == 200:
            continue
        else:
            broken.append((url, status, referrer))
            continue
        for href in targets:
            target = same_origin_target(url.split("?")[0], href)
            if target is None or target in seen:
                continue
            target_depth = admin_depth(target, depth or 0)
            if target_depth is not None:
                if "?" in target or target_depth > ADMIN_DEPTH:
                    continue
                if per_admin_pattern[admin_pattern(target)] >= ADMIN_PAGES_PER_PATTERN:
                    continue
                per_admin_pattern[admin_pattern(target)] += 1
            seen.add(target)
            queue.append((target, url, target_depth))
    return visited, not queue, broken


@pytest.fixture
def demo(db, settings):
    # load_demo only runs with DEBUG on (known passwords); the crawl itself runs with DEBUG off, like production.
    settings.DEBUG = True
    call_command("load_reference", verbosity=0)
    call_command("load_demo", verbosity=0)
    settings.DEBUG = False


@pytest.mark.slow
def test_it_shows_no_link_that_leads_its_user_to_403_404_or_an_error(demo, client, django_user_model):
    report, failures = {}, []
    for role in DEMO_ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(django_user_model.objects.get(username=role))
        started = monotonic()
        visited, complete, broken = crawl(client, STARTS.get(role, ("/", *SEARCHES)))
        report[role] = f"{visited} pages in {monotonic() - started:.1f} s"
        if not complete:
            failures.append(f"{role}: more than {MAX_PAGES} pages; raise MAX_PAGES or bound the new pages")
        failures += [f"{role}: {url} -> {status} (linked from {referrer})" for url, status, referrer in broken]
    print("\nLink crawl per demo role:", report)
    assert not failures, "\n".join(failures)


# --- The rules behind two links the crawler found broken (D.11) --------------------------------------------


WRITE_PAPER = "Ausschussvorlage schreiben"


@pytest.fixture
def social_department(world):
    return m.Department.objects.create(party=world.county, number="50", name="Sozialamt")


def test_it_offers_the_committee_paper_only_to_whom_may_write_it(world, login, social_department):
    detail = reverse("agreement_detail", args=[world.agreement.pk])
    create = reverse("vorlage_create_from_agreement") + f"?agreement={world.agreement.pk}"

    page = login(world.users.editor).get(detail).content.decode()
    assert WRITE_PAPER in page and escape(create) in page
    assert login(world.users.editor).get(create).status_code == 200
    # The ministry is a party and its editor may edit the agreement, but the ministry has no department that
    # writes committee papers: creating one is refused, so the page does not offer it.
    for user in (world.users.ministry, world.users.reader, world.users.admin):
        client = login(user)
        assert WRITE_PAPER not in client.get(detail).content.decode(), user
        assert client.get(create).status_code == 403, user


def test_it_offers_no_committee_paper_to_a_county_without_a_department(world, login):
    client = login(world.users.editor)
    assert WRITE_PAPER not in client.get(reverse("agreement_detail", args=[world.agreement.pk])).content.decode()
    assert client.get(reverse("vorlage_create_from_agreement")).status_code == 403


def test_it_offers_no_committee_paper_on_a_withdrawn_agreement(world, login, social_department):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.WITHDRAWN)
    page = login(world.users.editor).get(reverse("agreement_detail", args=[world.agreement.pk])).content.decode()
    assert WRITE_PAPER not in page


@pytest.fixture
def jobcenter_agreement(world):
    """The county's agreement with its Jobcenter, linked to the ministry's: the ministry is no party to it."""
    agreement = m.Agreement.objects.create(title="Zielvereinbarung 2013 Kreis – Jobcenter ME-aktiv", year=2013)
    m.AgreementParty.objects.create(agreement=agreement, party=world.county, role="kommunaler_traeger", order=0)
    m.AgreementParty.objects.create(agreement=agreement, party=world.jobcenter, role="jobcenter", order=1)
    world.agreement.related.add(agreement)
    return agreement


@pytest.mark.parametrize("relation", ["related", "predecessor", "successor", "amends", "amendment"])
def test_it_shows_a_linked_agreement_only_to_whom_may_open_it(world, login, jobcenter_agreement, relation):
    world.agreement.related.remove(jobcenter_agreement)
    if relation == "related":
        world.agreement.related.add(jobcenter_agreement)
    elif relation in ("predecessor", "amends"):
        setattr(world.agreement, relation, jobcenter_agreement)
        world.agreement.save(update_fields=[relation])
    else:
        field = "predecessor" if relation == "successor" else "amends"
        setattr(jobcenter_agreement, field, world.agreement)
        jobcenter_agreement.save(update_fields=[field])
    detail = reverse("agreement_detail", args=[world.agreement.pk])
    target = reverse("agreement_detail", args=[jobcenter_agreement.pk])

    for user in (world.users.editor, world.users.reader, world.users.admin):
        page = login(user).get(detail).content.decode()
        assert jobcenter_agreement.title in page and f'href="{target}"' in page, user
        assert login(user).get(target).status_code == 200
    page = login(world.users.ministry).get(detail).content.decode()
    assert jobcenter_agreement.title not in page and f'href="{target}"' not in page
    assert login(world.users.ministry).get(target).status_code == 404

"""The main navigation: links per role (decided in agreements.views.navigation, not in the template) and the current
section marked with aria-current."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="navbar.*?</nav>', re.S)


def nav_links(response):
    """The section links (the "Am Zug" link to the start page's list aside: tests/test_deadlines_views.py)."""
    html = NAV.search(response.content.decode()).group(0)
    return [href for href in re.findall(r'<a class="nav-link[^"]*" href="([^"]+)"', html) if "#" not in href]


def current_links(response):
    html = NAV.search(response.content.decode()).group(0)
    return re.findall(r'href="([^"]+)" aria-current="page"', html)


COMMON = ["dashboard", "agreement_list", "vorlage_list", "vorlage_meetings", "overview_board"]


@pytest.mark.parametrize("role, extra", [
    ("reader", []),
    ("editor", []),
    ("ministry", []),
    ("committee", []),
    ("outsider", []),
    ("admin", ["audit_log", "admin:index"]),
])
def test_links_per_role(client, world, login, role, extra):
    login(getattr(world.users, role))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert nav_links(response) == [reverse(name) for name in COMMON + extra]


def test_staff_without_superuser_gets_the_admin_but_not_the_audit_log(client, world, login):
    world.users.editor.is_staff = True
    world.users.editor.save()
    login(world.users.editor)
    links = nav_links(client.get(reverse("dashboard")))
    assert reverse("admin:index") in links
    assert reverse("audit_log") not in links


def test_anonymous_login_page_has_no_section_links(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert nav_links(response) == []


@pytest.mark.parametrize("path_name, current", [
    ("dashboard", "dashboard"),
    ("agreement_list", "agreement_list"),
    ("vorlage_meetings", "vorlage_meetings"),
    ("vorlage_list", "vorlage_list"),
    ("search", None),
])
def test_current_section_is_marked_once(client, world, login, path_name, current):
    login(world.users.editor)
    response = client.get(reverse(path_name))
    assert response.status_code == 200
    assert current_links(response) == ([reverse(current)] if current else [])


def test_agreement_page_marks_the_agreement_section(client, world, login):
    login(world.users.editor)
    response = client.get(reverse("agreement_detail", args=[world.agreement.pk]))
    assert current_links(response) == [reverse("agreement_list")]

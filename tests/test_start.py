import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_users_to_the_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_the_login_page_in_german(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="de">' in body
    assert "Anmelden" in body
    assert 'for="id_username"' in body and 'for="id_password"' in body


def test_it_logs_in_and_shows_the_start_page(client, django_user_model):
    django_user_model.objects.create_user("erika", password="geheim-123")
    response = client.post(reverse("login"), {"username": "erika", "password": "geheim-123"}, follow=True)
    assert response.status_code == 200
    assert response.resolver_match.url_name == "dashboard"


def test_it_refuses_a_wrong_password_with_a_message(client, django_user_model):
    django_user_model.objects.create_user("erika", password="geheim-123")
    response = client.post(reverse("login"), {"username": "erika", "password": "falsch"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_it_speaks_german_whatever_the_browser_asks_for(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in response.content.decode()


def test_it_switches_to_english_on_request_and_back(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    client.post(reverse("set_language"), {"language": "de", "next": reverse("login")})
    assert client.get(reverse("login"))["Content-Language"] == "de"

"""The admin of electronic signatures (issue 15): signing keys, the timestamp authority, trust anchors.

Who may see and change them, the checks on saving (a key is opened with its secret, its certificate recorded; one
active timestamp authority; a readable PEM), that no key file is ever linked or served, and the history shown but
never reverted. The keys come from the demo install (agreements/data/demo/signing.py) or the test PKI.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.data.demo import signing as demo_signing
from agreements.models import Party, SigningKey, TimestampAuthority, TrustAnchor

from .factories import admin_url
from .pki import build_pki

User = get_user_model()
MODELS = [SigningKey, TimestampAuthority, TrustAnchor]
PASSPHRASE = "richtiges-passwort-123"


def label(model):
    return model.__name__


def party(key, name, kind=Party.Kind.KREIS):
    return Party.objects.create(key=key, name=name, kind=kind)


@pytest.fixture(scope="module")
def pki():
    return build_pki()


@pytest.fixture
def installed(db, tmp_path):
    """The demo's keys for the ministry, its TSA and its root as trust anchor."""
    ministry = party("mais", "MAIS NRW", Party.Kind.MINISTRY)
    demo_signing.install(tmp_path / "demo-pki", [ministry])
    return {"ministry": ministry, "key": SigningKey.objects.get(party=ministry),
            "tsa": TimestampAuthority.objects.get(), "anchor": TrustAnchor.objects.get()}


@pytest.fixture
def kreis(db):
    return party("kreis-mettmann", "Kreis Mettmann")


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "mettmann.secret"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def p12_upload(pki, identity=None, passphrase=PASSPHRASE, name="mettmann.p12"):
    identity = identity or pki.signers["Kreis Mettmann"]
    return SimpleUploadedFile(name, pki.pkcs12(identity, passphrase.encode()), content_type="application/x-pkcs12")


def key_post(party_, **values):
    data = {"party": party_.pk, "kind": SigningKey.Kind.PKCS12, "is_active": "on", "secret_env": "",
            "secret_file": "", "module_path": "", "token_label": "", "key_label": "", "cert_label": ""}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def form_errors(response):
    assert response.status_code == 200, response.get("Location")
    form = response.context["adminform"].form
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def media_files(settings):
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- Who may ----------------------------------------------------------------------------------------------------

def url_of(view, model, installed):
    obj = {SigningKey: installed["key"], TimestampAuthority: installed["tsa"], TrustAnchor: installed["anchor"]}
    return admin_url(model, view, obj[model].pk) if view == "change" else admin_url(model, view)


VIEWS = ["changelist", "add", "change"]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("model", MODELS, ids=label)
@pytest.mark.parametrize("who", ["anonymous", "not staff"])
def test_anonymous_and_non_staff_users_are_sent_to_the_login(client, installed, model, view, who):
    if who == "not staff":
        client.force_login(User.objects.create_user("leser", "leser@example.org", "pw-reader-123"))
    response = client.get(url_of(view, model, installed))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("model", MODELS, ids=label)
def test_staff_without_the_permission_is_refused(client, installed, model, view):
    client.force_login(User.objects.create_user("staff", "staff@example.org", "pw-staff-123", is_staff=True))
    assert client.get(url_of(view, model, installed)).status_code == 403


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("model", MODELS, ids=label)
def test_a_superuser_sees_every_page(admin_client, installed, model, view):
    assert admin_client.get(url_of(view, model, installed)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_staff_with_the_view_permission_only_looks(client, installed, model):
    user = User.objects.create_user("prüfer", "pruefer@example.org", "pw-staff-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=f"view_{model._meta.model_name}"))
    client.force_login(user)
    assert client.get(url_of("changelist", model, installed)).status_code == 200
    page = client.get(url_of("change", model, installed))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(url_of("add", model, installed)).status_code == 403
    assert client.post(url_of("change", model, installed), {"is_active": ""}).status_code == 403


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_staff_with_the_model_permissions_may_change(client, installed, model):
    user = User.objects.create_user("technik", "technik@example.org", "pw-staff-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=[f"{action}_{model._meta.model_name}" for action in ("view", "add", "change")]))
    client.force_login(user)
    for view in VIEWS:
        assert client.get(url_of(view, model, installed)).status_code == 200
    assert 'name="_save"' in client.get(url_of("change", model, installed)).content.decode()


# --- Lists ------------------------------------------------------------------------------------------------------

def test_the_lists_show_what_an_administrator_checks(admin_client, installed):
    key = installed["key"]
    # The demo install stores the key as it is; the admin's save opens it and records its certificate.
    response = admin_client.post(admin_url(SigningKey, "change", key.pk), key_post(
        installed["ministry"], secret_file=key.secret_file))
    assert response.status_code == 302, form_errors(response)
    key.refresh_from_db()
    assert key.certificate_subject.startswith("CN=MAIS NRW (DEMO-Siegel)")
    assert key.is_demo  # not a field of the form

    keys = admin_client.get(admin_url(SigningKey, "changelist")).content.decode()
    assert "MAIS NRW" in keys
    assert "PKCS#12-Datei" in keys
    assert "CN=MAIS NRW (DEMO-Siegel)" in keys
    assert key.certificate_valid_until.astimezone().strftime("%d.%m.%Y") in keys
    assert 'class="zs-demo-marker"' in keys

    tsas = admin_client.get(admin_url(TimestampAuthority, "changelist")).content.decode()
    assert "eigener Demo-Schlüssel" in tsas
    assert "PAdES B-T" in tsas
    assert 'class="zs-demo-marker"' in tsas

    anchors = admin_client.get(admin_url(TrustAnchor, "changelist")).content.decode()
    anchor = installed["anchor"]
    assert anchor.subject in anchors
    fingerprint = anchor.sha256_fingerprint.upper()
    assert ":".join(fingerprint[i:i + 2] for i in range(0, 64, 2)) in anchors
    assert 'class="zs-demo-marker"' in anchors


def test_the_change_pages_say_demo(admin_client, installed):
    for model, obj in [(SigningKey, installed["key"]), (TimestampAuthority, installed["tsa"]),
                       (TrustAnchor, installed["anchor"])]:
        content = admin_client.get(admin_url(model, "change", obj.pk)).content.decode()
        assert "Demo – von der Demo-Installation erzeugt" in content
        assert 'name="is_demo"' not in content  # set by the demo install, not a box to tick


def test_a_url_is_the_timestamp_authoritys_source_in_the_list(admin_client, installed):
    TimestampAuthority.objects.update(is_active=False)
    TimestampAuthority.objects.create(name="D-Trust TSA", url="https://tsa.example.org/tsp")
    tsas = admin_client.get(admin_url(TimestampAuthority, "changelist")).content.decode()
    assert "https://tsa.example.org/tsp" in tsas


@pytest.mark.parametrize("model, queries", [(SigningKey, 6), (TimestampAuthority, 6), (TrustAnchor, 6)],
                         ids=["SigningKey", "TimestampAuthority", "TrustAnchor"])
def test_each_list_takes_a_fixed_number_of_queries(admin_client, installed, tmp_path, django_assert_num_queries,
                                                   model, queries):
    url = admin_url(model, "changelist")
    admin_client.get(url)  # what a first request caches (content types)
    with django_assert_num_queries(queries):
        assert admin_client.get(url).status_code == 200
    demo_signing.install(tmp_path / "more", [party(f"kreis-{i}", f"Kreis {i}") for i in range(8)])
    TimestampAuthority.objects.bulk_create(TimestampAuthority(name=f"TSA {i}", url=f"https://tsa{i}.example.org",
                                                              is_active=False) for i in range(8))
    assert model.objects.count() > 1
    with django_assert_num_queries(queries):
        assert admin_client.get(url).status_code == 200


# --- Signing keys -----------------------------------------------------------------------------------------------

def test_it_adds_a_pkcs12_key_and_reads_its_certificate(admin_client, kreis, pki, secret_file):
    upload = p12_upload(pki)
    uploaded = upload.read()
    upload.seek(0)
    response = admin_client.post(admin_url(SigningKey, "add"),
                                 key_post(kreis, pkcs12_file=upload, secret_file=str(secret_file)))
    assert response.status_code == 302, form_errors(response)
    key = SigningKey.objects.get(party=kreis)
    assert key.certificate_subject == "CN=Kreis Mettmann,O=Zielsteuerung Test-PKI,C=DE"
    assert key.certificate_valid_until == pki.signers["Kreis Mettmann"].cert.not_valid_after_utc
    assert (key.secret_file, key.secret_env) == (str(secret_file), "")
    assert not key.is_demo
    with key.pkcs12_file.open("rb") as handle:
        assert handle.read() == uploaded  # stored in full, although clean() read it first
    assert PASSPHRASE not in str(SigningKey.objects.filter(pk=key.pk).values().get())


def test_it_takes_the_secret_from_an_environment_variable(admin_client, kreis, pki, monkeypatch):
    monkeypatch.setenv("ZS_TEST_SIGN_METTMANN", PASSPHRASE)
    response = admin_client.post(admin_url(SigningKey, "add"),
                                 key_post(kreis, pkcs12_file=p12_upload(pki), secret_env="ZS_TEST_SIGN_METTMANN"))
    assert response.status_code == 302, form_errors(response)
    assert SigningKey.objects.get(party=kreis).certificate_subject.startswith("CN=Kreis Mettmann")


def test_the_key_file_is_neither_linked_nor_served(admin_client, client, kreis, pki, secret_file, settings):
    admin_client.post(admin_url(SigningKey, "add"),
                      key_post(kreis, pkcs12_file=p12_upload(pki), secret_file=str(secret_file)))
    key = SigningKey.objects.get(party=kreis)
    content = admin_client.get(admin_url(SigningKey, "change", key.pk)).content.decode()
    assert "mettmann.p12" in content  # its name, as text
    assert key.pkcs12_file.name not in content  # not its path under MEDIA
    assert settings.MEDIA_URL not in content
    assert "<a href" not in content.split("mettmann.p12")[0].rsplit("<div", 1)[-1]
    assert 'type="file"' in content  # a new file may replace it
    for path in (settings.MEDIA_URL + key.pkcs12_file.name, "/media/" + key.pkcs12_file.name):
        assert admin_client.get(path).status_code == 404
        assert client.get(path).status_code == 404
    history = admin_client.get(admin_url(SigningKey, "history", key.pk)).content.decode()
    assert settings.MEDIA_URL not in history


@pytest.mark.parametrize("secrets", [{}, {"secret_env": "ZS_X", "secret_file": "/run/credentials/x"}],
                         ids=["none", "both"])
def test_it_asks_for_exactly_one_secret_source(admin_client, kreis, pki, settings, secrets):
    response = admin_client.post(admin_url(SigningKey, "add"), key_post(kreis, pkcs12_file=p12_upload(pki),
                                                                        **secrets))
    assert "Geben Sie genau eine Quelle für das Geheimnis an" in form_errors(response)
    assert not SigningKey.objects.exists()
    assert media_files(settings) == []


def test_a_wrong_passphrase_is_said_on_the_form(admin_client, kreis, pki, secret_file, settings):
    upload = p12_upload(pki, passphrase="ein-anderes-passwort")
    response = admin_client.post(admin_url(SigningKey, "add"),
                                 key_post(kreis, pkcs12_file=upload, secret_file=str(secret_file)))
    message = (f"Die PKCS#12-Datei mettmann.p12 von Kreis Mettmann lässt sich mit dem Passwort aus der Datei "
               f"{secret_file} nicht öffnen (falsches Passwort oder beschädigte Datei).")
    assert message in form_errors(response)
    assert message in response.content.decode()
    assert not SigningKey.objects.exists()
    assert media_files(settings) == []


@pytest.mark.parametrize("values, message", [
    ({"secret_env": "ZS_TEST_NICHT_GESETZT"}, "Die Umgebungsvariable ZS_TEST_NICHT_GESETZT für das PKCS#12-Passwort "
                                              "von Kreis Mettmann ist nicht gesetzt oder leer."),
    ({"secret_file": "/nicht/da.secret"}, "Die Datei /nicht/da.secret mit das PKCS#12-Passwort von Kreis Mettmann "
                                          "fehlt."),
], ids=["unset-variable", "missing-file"])
def test_a_missing_secret_is_said_on_the_form(admin_client, kreis, pki, monkeypatch, values, message):
    monkeypatch.delenv("ZS_TEST_NICHT_GESETZT", raising=False)
    response = admin_client.post(admin_url(SigningKey, "add"), key_post(kreis, pkcs12_file=p12_upload(pki), **values))
    assert message in form_errors(response)
    assert not SigningKey.objects.exists()


def test_a_file_that_is_no_pkcs12_is_said_on_the_form(admin_client, kreis, secret_file):
    upload = SimpleUploadedFile("schluessel.p12", b"-----BEGIN CERTIFICATE-----\nkein Schluessel\n")
    response = admin_client.post(admin_url(SigningKey, "add"),
                                 key_post(kreis, pkcs12_file=upload, secret_file=str(secret_file)))
    assert "schluessel.p12 von Kreis Mettmann lässt sich" in form_errors(response)


def test_a_pkcs12_key_needs_its_file(admin_client, kreis, secret_file):
    response = admin_client.post(admin_url(SigningKey, "add"), key_post(kreis, secret_file=str(secret_file)))
    assert "Für diese Art wird eine PKCS#12-Datei gebraucht." in form_errors(response)


def test_an_expired_certificate_is_said_on_the_form(admin_client, kreis, pki, secret_file):
    response = admin_client.post(admin_url(SigningKey, "add"), key_post(
        kreis, pkcs12_file=p12_upload(pki, pki.expired), secret_file=str(secret_file)))
    assert "CN=Kreis Abgelaufen,O=Zielsteuerung Test-PKI,C=DE) ist am" in form_errors(response)
    assert "abgelaufen" in form_errors(response)


def test_a_pkcs11_token_needs_its_fields_and_a_module_that_exists(admin_client, kreis, secret_file):
    response = admin_client.post(admin_url(SigningKey, "add"), key_post(
        kreis, kind=SigningKey.Kind.PKCS11, secret_file=str(secret_file)))
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"module_path", "token_label", "key_label"}
    assert errors["token_label"] == ["Für ein PKCS#11-Token wird diese Angabe gebraucht."]

    pytest.importorskip("pkcs11")
    response = admin_client.post(admin_url(SigningKey, "add"), key_post(
        kreis, kind=SigningKey.Kind.PKCS11, secret_file=str(secret_file), module_path="/nicht/da/libsofthsm2.so",
        token_label="zielsteuerung", key_label="siegel"))
    assert "Das PKCS#11-Modul /nicht/da/libsofthsm2.so von Kreis Mettmann fehlt." in form_errors(response)
    assert not SigningKey.objects.exists()


def test_a_stored_key_is_checked_again_on_every_save(admin_client, installed, tmp_path):
    key = installed["key"]
    wrong = tmp_path / "falsch.secret"
    wrong.write_text("falsch", encoding="utf-8")
    url = admin_url(SigningKey, "change", key.pk)
    response = admin_client.post(url, key_post(installed["ministry"], secret_file=str(wrong)))
    assert "lässt sich mit dem Passwort aus der Datei" in form_errors(response)
    key.refresh_from_db()
    assert key.secret_file != str(wrong)
    # A key that no longer opens can still be switched off.
    response = admin_client.post(url, key_post(installed["ministry"], secret_file=str(wrong), is_active=None))
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.is_active, key.secret_file) == (False, str(wrong))


def test_a_new_file_replaces_the_stored_one(admin_client, installed, pki, secret_file):
    key = installed["key"]
    response = admin_client.post(admin_url(SigningKey, "change", key.pk), key_post(
        installed["ministry"], pkcs12_file=p12_upload(pki, pki.signers["MAIS NRW"], name="mais-2027.p12"),
        secret_file=str(secret_file)))
    assert response.status_code == 302, form_errors(response)
    key.refresh_from_db()
    assert key.certificate_subject == "CN=MAIS NRW,O=Zielsteuerung Test-PKI,C=DE"
    assert key.pkcs12_file.name.endswith(".p12") and "mais-2027" in key.pkcs12_file.name


def test_the_secret_fields_say_the_secret_is_not_stored(admin_client, db):
    content = admin_client.get(admin_url(SigningKey, "add")).content.decode()
    assert content.count("das Passwort selbst wird nie gespeichert") == 2
    for fieldset in ("PKCS#12-Datei", "PKCS#11-Token (HSM)", "Passwort bzw. PIN", "Zertifikat"):
        assert f'class="fieldset-heading">{fieldset}</h2>' in content


# --- History ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", MODELS, ids=label)
def test_the_history_is_shown_and_never_reverted(admin_client, installed, model):
    obj = {SigningKey: installed["key"], TimestampAuthority: installed["tsa"], TrustAnchor: installed["anchor"]}[model]
    assert admin_client.get(admin_url(model, "history", obj.pk)).status_code == 200
    record = obj.history.earliest()
    url = reverse(f"admin:agreements_{model._meta.model_name}_simple_history", args=[obj.pk, record.history_id])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Revert" not in page.content.decode() and 'name="_save"' not in page.content.decode()
    response = admin_client.post(url, {"name": "zurückgesetzt", "is_active": ""}, follow=True)
    assert response.redirect_chain == [(admin_url(model, "change", obj.pk), 302)]
    assert "Frühere Stände werden nur angezeigt" in response.content.decode()
    assert obj.history.count() == 1


# --- Timestamp authority ----------------------------------------------------------------------------------------

def tsa_post(**values):
    data = {"name": "D-Trust TSA", "url": "", "level": TimestampAuthority.Level.B_T, "is_active": "on",
            "secret_env": "", "secret_file": ""}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_it_adds_a_timestamp_authority_by_its_url(admin_client, db):
    response = admin_client.post(admin_url(TimestampAuthority, "add"), tsa_post(url="https://tsa.example.org/tsp"))
    assert response.status_code == 302, form_errors(response)
    tsa = TimestampAuthority.objects.get()
    assert (tsa.url, tsa.is_active, tsa.is_demo) == ("https://tsa.example.org/tsp", True, False)


@pytest.mark.parametrize("values", [{}, {"url": "https://tsa.example.org/tsp", "local_key": "upload"}],
                         ids=["neither", "both"])
def test_a_timestamp_authority_needs_a_url_or_an_own_key(admin_client, db, pki, secret_file, values):
    if "local_key" in values:
        values = {**values, "local_key": p12_upload(pki, pki.tsa), "secret_file": str(secret_file)}
    response = admin_client.post(admin_url(TimestampAuthority, "add"), tsa_post(**values))
    assert "Geben Sie entweder die Adresse eines Zeitstempeldienstes oder einen eigenen" in form_errors(response)
    assert not TimestampAuthority.objects.exists()


def test_only_one_timestamp_authority_is_active(admin_client, installed):
    response = admin_client.post(admin_url(TimestampAuthority, "add"), tsa_post(url="https://tsa.example.org/tsp"))
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["is_active"]
    assert "Es ist schon ein Zeitstempeldienst aktiv: „DEMO-Zeitstempeldienst (nur für die Demo)“." in errors[
        "is_active"][0]
    response = admin_client.post(admin_url(TimestampAuthority, "add"),
                                 tsa_post(url="https://tsa.example.org/tsp", is_active=None))
    assert response.status_code == 302
    assert TimestampAuthority.objects.filter(is_active=True).get() == installed["tsa"]


def test_an_own_timestamp_key_is_opened_before_it_is_saved(admin_client, db, pki, secret_file, tmp_path):
    wrong = tmp_path / "falsch.secret"
    wrong.write_text("falsch", encoding="utf-8")
    response = admin_client.post(admin_url(TimestampAuthority, "add"), tsa_post(
        name="Test-TSA", local_key=p12_upload(pki, pki.tsa, name="tsa.p12"), secret_file=str(wrong)))
    assert "Die PKCS#12-Datei tsa.p12 von Test-TSA lässt sich mit dem Passwort" in form_errors(response)
    response = admin_client.post(admin_url(TimestampAuthority, "add"), tsa_post(
        name="Test-TSA", local_key=p12_upload(pki, pki.tsa, name="tsa.p12"), secret_file=str(secret_file)))
    assert response.status_code == 302, form_errors(response)
    tsa = TimestampAuthority.objects.get()
    content = admin_client.get(admin_url(TimestampAuthority, "change", tsa.pk)).content.decode()
    assert "tsa.p12" in content and tsa.local_key.name not in content


# --- Trust anchors ----------------------------------------------------------------------------------------------

def test_it_adds_a_trust_anchor_from_a_pasted_pem(admin_client, db, pki):
    response = admin_client.post(admin_url(TrustAnchor, "add"), {
        "name": "Test-Wurzel", "certificate": pki.root.pem, "is_active": "on"})
    assert response.status_code == 302, form_errors(response)
    anchor = TrustAnchor.objects.get()
    assert anchor.subject == "CN=Zielsteuerung Test Root CA,O=Zielsteuerung Test-PKI,C=DE"
    assert len(anchor.sha256_fingerprint) == 64
    content = admin_client.get(admin_url(TrustAnchor, "change", anchor.pk)).content.decode()
    assert anchor.sha256_fingerprint.upper()[:8] in content.replace(":", "")


@pytest.mark.parametrize("pem", ["kein Zertifikat", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"],
                         ids=["text", "broken"])
def test_a_broken_pem_is_said_on_the_form(admin_client, db, pem):
    response = admin_client.post(admin_url(TrustAnchor, "add"), {"name": "Kaputt", "certificate": pem,
                                                                 "is_active": "on"})
    errors = response.context["adminform"].form.errors
    assert response.status_code == 200
    assert errors["certificate"] == ["Das ist kein lesbares Zertifikat im PEM-Format."]
    assert "Das ist kein lesbares Zertifikat im PEM-Format." in response.content.decode()
    assert not TrustAnchor.objects.exists()

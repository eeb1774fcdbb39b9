"""The PDF renderer reads nothing but data: URLs and the app's own static files.

SafeURLFetcher is asked directly, and then whole documents that try every way HTML and CSS have to load
something (stylesheets, @import, images, CSS url(), attachments) are rendered through html_to_pdf. A tiny HTTP
server on the loopback interface counts every request: it must never be called. A positive control (an
image and an attachment from the static folder) shows that loading itself works, so "nothing was loaded"
means "refused", not "broken".
"""

import http.server
import io
import logging
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote

import pikepdf
import pypdf
import pytest
from PIL import Image
from weasyprint.urls import URLFetchingError

from agreements.pdf.fetcher import SafeURLFetcher
from agreements.pdf.render import html_to_pdf

SECRET = "geheim-ausserhalb-von-static"


@pytest.fixture
def loopback():
    """An HTTP server on 127.0.0.1 that answers everything and counts the requests."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            hits.append(self.path)
            if self.path.startswith("/redirect"):
                # /redirect?to=<url>: what a hostile or compromised server would answer.
                self.send_response(302)
                self.send_header("Location", unquote(self.path.split("?to=", 1)[1]))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b"body { background: url(/stolen.png) } @page { size: A3 }"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.hits = hits
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def assert_server_works(server):
    """The control: the server does answer a request that does not go through the renderer."""
    before = len(server.hits)
    with urllib.request.urlopen(server.url + "/control", timeout=5) as response:  # noqa: S310 - loopback only
        assert response.status == 200
    assert len(server.hits) == before + 1


@pytest.fixture
def static(settings, tmp_path):
    """Static folders of our own: STATIC_ROOT and one STATICFILES_DIRS entry, plus a secret outside both."""
    root = tmp_path / "static-root"
    extra = tmp_path / "static-extra"
    for folder in (root / "css", extra / "img"):
        folder.mkdir(parents=True)
    (root / "css" / "ok.css").write_text("p { color: #123456 }")
    Image.new("RGB", (4, 4), (200, 30, 30)).save(extra / "img" / "dot.png")
    (root / "note.txt").write_text("Anlage aus static")
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    (root / "link-to-secret.txt").symlink_to(secret)
    (root / "link-to-tmp").symlink_to(tmp_path, target_is_directory=True)
    settings.STATIC_ROOT = root
    settings.STATICFILES_DIRS = [("app", extra)]
    return type("Static", (), {"root": root, "extra": extra, "secret": secret, "tmp": tmp_path})


def fetch(url):
    response = SafeURLFetcher().fetch(url)
    try:
        return response.read()
    finally:
        response.close()


# --- The fetcher on its own ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file://localhost/etc/passwd",
    "file:///proc/self/environ",
    "https://example.invalid/",
    "http://example.invalid/x.css",
    "ftp://example.invalid/x",
    "gopher://127.0.0.1:70/",
    "javascript:alert(1)",
])
def test_it_refuses_files_and_hosts_outside_the_app(url, caplog, static):
    with caplog.at_level(logging.WARNING, logger="agreements.pdf.fetcher"), pytest.raises(URLFetchingError):
        fetch(url)
    assert "refused" in caplog.text


def test_it_refuses_the_loopback_interface_without_calling_it(loopback, static):
    for url in (loopback.url + "/", loopback.url + "/x.css", f"http://localhost:{loopback.server_address[1]}/",
                f"http://[::ffff:127.0.0.1]:{loopback.server_address[1]}/"):
        with pytest.raises(URLFetchingError):
            fetch(url)
    time.sleep(0.1)  # a request in flight would have arrived by now
    assert loopback.hits == []
    assert_server_works(loopback)


def test_it_follows_no_redirect(loopback, static):
    """Redirects are off: a redirect to a file (in or outside static) or to another host is never followed, and
    the redirecting server is not even asked, because http:// is refused before anything is sent."""
    targets = ["file:///etc/passwd", static.secret.as_uri(), (static.root / "css" / "ok.css").as_uri(),
               loopback.url + "/after-redirect"]
    for target in targets:
        with pytest.raises(URLFetchingError):
            fetch(f"{loopback.url}/redirect?to={quote(target, safe='')}")
    time.sleep(0.1)
    assert loopback.hits == []
    assert_server_works(loopback)


def test_it_has_no_redirect_handler_and_checks_every_request_it_opens(loopback, static):
    """The second half of "no redirects": the fetcher's opener has no redirect handler, and a request opened on
    it (the way urllib's redirect handling re-enters an opener) goes through the same refusal as a URL."""
    fetcher = SafeURLFetcher()
    assert not [handler for handler in fetcher.handlers if isinstance(handler, urllib.request.HTTPRedirectHandler)]
    for url in (loopback.url + "/opened", "file:///etc/passwd", static.secret.as_uri()):
        with pytest.raises(URLFetchingError):
            fetcher.open(urllib.request.Request(url))
    response = fetcher.open(urllib.request.Request((static.root / "css" / "ok.css").as_uri()))
    try:
        assert response.read() == b"p { color: #123456 }"
    finally:
        response.close()
    time.sleep(0.1)
    assert loopback.hits == []


def test_it_reads_data_urls():
    assert fetch("data:text/css,p%20%7Bcolor%3Ared%7D") == b"p {color:red}"
    assert fetch("data:text/plain;base64,SGFsbG8=") == b"Hallo"


def test_it_reads_files_under_the_static_folders(static):
    assert fetch((static.root / "css" / "ok.css").as_uri()) == b"p { color: #123456 }"
    assert fetch((static.extra / "img" / "dot.png").as_uri()).startswith(b"\x89PNG")


def test_it_refuses_a_symlink_in_static_that_points_outside(static):
    with pytest.raises(URLFetchingError):
        fetch((static.root / "link-to-secret.txt").as_uri())
    with pytest.raises(URLFetchingError):
        fetch((static.root / "link-to-tmp" / "secret.txt").as_uri())


@pytest.mark.parametrize("tail", [
    "/../secret.txt",
    "/css/../../secret.txt",
    "/css/%2e%2e/%2e%2e/secret.txt",
    "/css/..%2f..%2fsecret.txt",
    "/css/../../../../../../etc/passwd",
])
def test_it_refuses_traversal_out_of_static(tail, static):
    with pytest.raises(URLFetchingError):
        fetch("file://" + str(static.root) + tail)


def test_it_refuses_a_directory_and_a_missing_file_in_static(static):
    for path in (static.root / "css", static.root / "missing.css"):
        with pytest.raises(URLFetchingError):
            fetch(path.as_uri())


# --- Whole documents -------------------------------------------------------------------------------------------


def _embedded_files(content):
    """Names of the files embedded in the PDF (document level and file attachment annotations)."""
    names = []
    with pikepdf.open(io.BytesIO(content)) as pdf:
        tree = pdf.Root.get("/Names", {}).get("/EmbeddedFiles")
        if tree is not None:
            names += [str(name) for name in pikepdf.NameTree(tree).keys()]
        for page in pdf.pages:
            for annot in page.get("/Annots", []):
                if annot.get("/Subtype") == "/FileAttachment":
                    names.append(str(annot.get("/FS", {}).get("/F", "?")))
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/EmbeddedFile":
                names.append("<stream>")
    return names


def _images(content):
    with pikepdf.open(io.BytesIO(content)) as pdf:
        return sum(len(page.get_images()) for page in pdf.pages)


def _text(content):
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def _html(body, head=""):
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Test</title>{head}</head>'
            f"<body>{body}</body></html>")


def test_it_renders_hostile_html_without_loading_anything(loopback, static, caplog):
    css = (f"@import url({loopback.url}/import.css); @import '{loopback.url}/import2.css';"
           "body { background: url(file:///etc/passwd) }"
           f"h1 {{ background-image: url({loopback.url}/bg.png) }}"
           f"@font-face {{ font-family: X; src: url({loopback.url}/font.woff) }}"
           f"p::after {{ content: url(file://{static.secret}) }}")
    head = (f"<style>{css}</style>"
            f'<link rel="stylesheet" href="{loopback.url}/style.css">'
            '<link rel="stylesheet" href="file:///etc/passwd">'
            '<link rel="attachment" href="file:///etc/passwd" title="passwd">'
            f'<link rel="attachment" href="{static.secret.as_uri()}" title="secret">'
            f'<link rel="attachment" href="{(static.root / "link-to-secret.txt").as_uri()}" title="link">')
    body = (f'<h1>Titel</h1><p>Absatz</p><img src="file:///etc/passwd" alt="a">'
            f'<img src="{loopback.url}/img.png" alt="b"><img src="x" onerror="alert(1)" alt="c">'
            f'<a rel="attachment" href="file:///etc/hostname">Anhang</a>'
            f'<a rel="attachment" href="{loopback.url}/anhang.pdf">Anhang 2</a>'
            f'<iframe src="{loopback.url}/frame"></iframe><object data="file:///etc/passwd"></object>'
            f'<embed src="{loopback.url}/embed"><svg><image href="file:///etc/passwd"/></svg>'
            f'<p style="background: url({static.root}/../secret.txt)">Stil</p>'
            f'<img src="{loopback.url}/redirect?to={quote(static.secret.as_uri(), safe="")}" alt="d">'
            f'<a rel="attachment" href="{loopback.url}/redirect?to={quote("file:///etc/passwd", safe="")}">A3</a>')
    with caplog.at_level(logging.WARNING, logger="agreements.pdf.fetcher"):
        content = html_to_pdf(_html(body, head))
    time.sleep(0.1)
    assert loopback.hits == []
    assert_server_works(loopback)
    assert _embedded_files(content) == []
    assert _images(content) == 0
    text = _text(content)
    assert "Titel" in text and "Absatz" in text
    assert "root:" not in text and SECRET not in text
    assert SECRET.encode() not in content
    assert "refused" in caplog.text


def test_it_still_loads_the_apps_own_assets(static, loopback):
    """The control for the test above: from the static folders, images and attachments do arrive."""
    head = f'<link rel="attachment" href="{(static.root / "note.txt").as_uri()}" title="note">'
    body = f'<p>Bild</p><img src="{(static.extra / "img" / "dot.png").as_uri()}" alt="Punkt" width="20">'
    content = html_to_pdf(_html(body, head))
    assert _images(content) == 1
    assert _embedded_files(content)
    assert loopback.hits == []


def test_it_keeps_the_real_stylesheet_working():
    """The project's own stylesheet (relative to the static base URL) still loads under the fetcher."""
    stylesheet = Path(__file__).resolve().parent.parent / "static" / "css" / "pdf.css"
    if not stylesheet.exists():
        pytest.skip("static/css/pdf.css is not there")
    head = '<link rel="stylesheet" href="css/pdf.css">'
    assert _text(html_to_pdf(_html("<h1>Überschrift</h1>", head))).strip().startswith("Überschrift")

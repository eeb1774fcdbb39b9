"""HTML → PDF/A-3a with WeasyPrint: tagged, German, titled, fonts embedded, nothing fetched from outside."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .fetcher import SafeURLFetcher

PDF_VARIANT = "pdf/a-3a"


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    sha256: str
    html: str

    @property
    def size(self):
        return len(self.content)


def base_url():
    # Relative URLs in the templates (the stylesheet) resolve inside the app's static folder, nowhere else.
    return (Path(settings.BASE_DIR) / "static").resolve().as_uri() + "/"


def render_html(template_name, context):
    with translation.override("de"):
        return render_to_string(template_name, context)


def html_to_pdf(html, *, variant=PDF_VARIANT):
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url(), url_fetcher=SafeURLFetcher())
    return document.write_pdf(pdf_variant=variant, pdf_tags=True, uncompressed_pdf=False)


def pdf_from_html(html):
    """The slow half of rendering (WeasyPrint), kept apart so that it can run while no row lock is held."""
    content = html_to_pdf(html)
    return RenderedPdf(content=content, sha256=hashlib.sha256(content).hexdigest(), html=html)


def render_pdf(template_name, context):
    """Render a template to PDF/A-3a; the template sets <html lang>, <title> and <meta name=author>."""
    return pdf_from_html(render_html(template_name, context))

"""PDF figures of the benchmark: the demo Vorlage rendered cold and warm against WeasyPrint on the same HTML,
and a bundle of synthetic Anlagen (also used by the PDF tests).

Figures are wall-clock seconds (time.perf_counter), the best of `repeats` runs unless a name says otherwise:
the best run is the one least disturbed by other processes on a shared machine.
"""

import io
import statistics
import time

import pikepdf

from agreements.pdf import cache
from agreements.pdf.bundle import build_bundle
from agreements.pdf.render import PDF_VARIANT
from agreements.pdf.vorlage import (
    TEMPLATE_NAME,
    cache_key_parts,
    render_vorlage,
    vorlage_context,
    vorlage_queryset,
)
from agreements.tooling.benchmark.base import progress

PDF_REPEATS = 7
BUNDLE_SIZE = (10, 200)  # Anlagen, pages in all


def measure_pdf(cast, *, repeats=PDF_REPEATS, bundle=BUNDLE_SIZE):
    progress(f"PDF: Vorlage {cast.vorlage.reference} ({repeats} repeats), bundle of {bundle[0]} Anlagen / "
             f"{bundle[1]} pages")
    vorlage = vorlage_queryset().get(pk=cast.vorlage.pk)
    return {"vorlage_reference": cast.vorlage.reference,
            "vorlage": measure_vorlage(vorlage, repeats=repeats),
            "bundle": measure_bundle(n_anlagen=bundle[0], total_pages=bundle[1], repeats=repeats)}


def _timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def measure_vorlage(vorlage, repeats=3) -> dict:
    """Cold render (empty cache), warm render (cache hit), seconds per page, and our overhead over WeasyPrint.

    The overhead ratio compares a cold render_vorlage (queries, template, safe URL fetcher, cache write) with
    WeasyPrint rendering the very same HTML directly.
    """
    from weasyprint import HTML

    from agreements.pdf.render import base_url, render_html

    repeats = max(1, int(repeats))
    html = render_html(TEMPLATE_NAME, vorlage_context(vorlage))
    key = cache.cache_key(cache_key_parts(html))
    existed = cache.read_cached(key) is not None

    cold, warm, direct = [], [], []
    rendered = None
    for _ in range(repeats):
        cache.forget(key)
        seconds, rendered = _timed(lambda: render_vorlage(vorlage, use_cache=True))
        cold.append(seconds)
        seconds, _result = _timed(lambda: render_vorlage(vorlage, use_cache=True))
        warm.append(seconds)
        # The same document WeasyPrint would make on its own: same HTML, stylesheet and options, its own
        # URL fetcher; what remains of the difference is ours (context, template, safe fetcher, cache).
        seconds, _result = _timed(lambda: HTML(string=html, base_url=base_url()).write_pdf(
            pdf_variant=PDF_VARIANT, pdf_tags=True, uncompressed_pdf=False))
        direct.append(seconds)
    if not existed:
        cache.forget(key)

    pages = len(pikepdf.open(io.BytesIO(rendered.content)).pages)
    best_cold, best_warm, best_direct = min(cold), min(warm), min(direct)
    return {
        "pages": pages,
        "bytes": len(rendered.content),
        "repeats": repeats,
        "cold_seconds": best_cold,
        "cold_seconds_median": statistics.median(cold),
        "warm_seconds": best_warm,
        "seconds_per_page": best_cold / pages,
        "weasyprint_direct_seconds": best_direct,
        "overhead_ratio": best_cold / best_direct,
    }


def synthetic_anlagen(n_anlagen=10, total_pages=200):
    """n_anlagen PDFs with total_pages pages in all, rendered in ONE WeasyPrint call and split with pikepdf.

    Plain (untagged, non-PDF/A) text pages with an embedded font, like most uploaded letters.
    """
    from weasyprint import HTML

    if n_anlagen < 1 or total_pages < n_anlagen:
        raise ValueError("need at least one page per Anlage")
    paragraph = (
        "Die Zielvereinbarung enthält qualitative Leitziele und Tendenzen. Hierauf aufbauend sollen für "
        "zukünftige Vereinbarungen ergebnisorientierte Ziele formuliert werden. "
    ) * 6
    body = "".join(
        f'<section style="break-after: page"><h1>Seite {number}</h1><p>{paragraph}</p><p>{paragraph}</p></section>'
        for number in range(1, total_pages + 1)
    )
    html = (
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Synthetische Anlage</title>'
        "<style>@page { size: A4; margin: 2cm; } body { font-family: 'DejaVu Sans'; font-size: 10pt; }</style>"
        f"</head><body>{body}</body></html>"
    )
    source = pikepdf.open(io.BytesIO(HTML(string=html).write_pdf()))
    sizes = [total_pages // n_anlagen + (1 if i < total_pages % n_anlagen else 0) for i in range(n_anlagen)]
    anlagen, start = [], 0
    for number, size in enumerate(sizes, start=1):
        part = pikepdf.new()
        part.pages.extend(source.pages[start:start + size])
        buffer = io.BytesIO()
        part.save(buffer)
        anlagen.append((f"Synthetische Anlage {number}", buffer.getvalue()))
        start += size
    return anlagen


def synthetic_vorlage_pdf():
    from agreements.pdf.render import html_to_pdf

    return html_to_pdf(
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Vorlage 0/000/0000</title></head>'
        "<body><h1>Synthetische Vorlage</h1><p>Seite eins.</p>"
        '<h2 style="break-before: page">Sachverhaltsdarstellung</h2><p>Seite zwei.</p></body></html>'
    )


def measure_bundle(n_anlagen=10, total_pages=200, repeats=3) -> dict:
    """Time build_bundle for a 2-page Vorlage and n_anlagen synthetic Anlagen of total_pages pages in all."""
    anlagen = synthetic_anlagen(n_anlagen, total_pages)
    vorlage_pdf = synthetic_vorlage_pdf()

    def build():
        return build_bundle(vorlage_pdf, anlagen, title="Benchmark", author="Benchmark",
                            vorlage_label="Vorlage 0/000/0000")

    # The first bundle of a process also renders the page-number font sheet; reported separately.
    first, result = _timed(build)
    runs, cpu = [], []
    for _ in range(max(1, int(repeats))):
        cpu_start = time.process_time()
        runs.append(_timed(build)[0])
        cpu.append(time.process_time() - cpu_start)
    return {
        "anlagen": n_anlagen,
        "anlage_pages": total_pages,
        "pages": result.page_count,
        "bytes": len(result.content),
        "first_seconds": first,
        "seconds": min(runs),
        "seconds_median": statistics.median(runs),
        "cpu_seconds": min(cpu),
        "seconds_per_page": min(runs) / result.page_count,
        "is_pdfa": result.is_pdfa,
    }

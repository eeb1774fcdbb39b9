"""Accessibility checks of the page open in a Playwright page: axe-core (WCAG 2.0/2.1 A and AA) plus the structure
every page of the app must have. Each check returns readable problem lines; tests collect them over many pages
and assert once at the end, so one run names every problem."""

import functools
from pathlib import Path

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@functools.cache
def axe_source():
    # axe-playwright-python ships axe-core's axe.min.js; we only need the script, not the wrapper.
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page):
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return result["violations"]


def format_violation(violation):
    targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
    more = len(violation["nodes"]) - 8
    if more > 0:
        targets += f" (+{more} more)"
    summary = (violation["nodes"][0].get("failureSummary") or "").replace("\n", " ")
    return (f"{violation['id']} [{violation['impact']}] {violation['help']} | targets: {targets} | "
            f"{summary[:300]} | {violation['helpUrl']}")


# The structure rules, measured in the page: one h1, one <main>, <html lang>, a title, and every field marked
# invalid tied to its error message (aria-invalid plus aria-describedby on the field or on its fieldset).
_STRUCTURE_JS = """
() => {
  const text = (el) => (el && el.textContent || '').trim();
  const refs = (el) => (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  const name = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() + '[name=' + el.name + ']';
  const problems = [];
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`expected exactly one <h1>, found ${h1}`);
  const main = document.querySelectorAll('main, [role=main]').length;
  if (main !== 1) problems.push(`expected exactly one <main> landmark, found ${main}`);
  if (!document.documentElement.getAttribute('lang')) problems.push('<html> has no lang attribute');
  if (!document.title.trim()) problems.push('the <title> is empty');
  const invalid = document.querySelectorAll('.is-invalid, [aria-invalid=true]');
  for (const field of invalid) {
    if (field.type === 'hidden') continue;
    if (field.getAttribute('aria-invalid') !== 'true') {
      problems.push(`${name(field)} is shown invalid without aria-invalid`);
    }
    const fieldset = field.closest('fieldset');
    const ids = [...refs(field), ...(fieldset ? refs(fieldset) : [])];
    const messages = ids.map((id) => document.getElementById(id))
      .filter((el) => el && el.classList.contains('invalid-feedback') && text(el));
    if (!messages.length) {
      problems.push(`${name(field)} is invalid but no error message is tied to it by aria-describedby`);
    }
  }
  for (const feedback of document.querySelectorAll('.invalid-feedback')) {
    if (!text(feedback)) continue;
    const tied = feedback.id && document.querySelector(`[aria-describedby~="${CSS.escape(feedback.id)}"]`);
    if (!tied) problems.push(`error message "${text(feedback).slice(0, 80)}" is not referenced by any field`);
  }
  return {problems, invalid: invalid.length};
}
"""


def structure(page):
    return page.evaluate(_STRUCTURE_JS)


class Audit:
    """Collects the problems of every page checked; `report()` is the assertion message. `checks` are further
    checks of each page, each returning its problems as lines (e.g. language.german_interface_strings)."""

    def __init__(self, checks=()):
        self.checks = tuple(checks)
        self.problems = []
        self.pages = []
        self._seen = set()

    def check(self, page, label, *, expect_errors=False):
        # A click that navigates returns once the new document is committed, before its stylesheets have loaded:
        # axe would measure the contrast of unstyled links (#0000ee on the navigation's blue). Wait for "load".
        page.wait_for_load_state("load")
        # One check per loaded document: performance.timeOrigin changes with every page load.
        document = (page.url, page.evaluate("() => performance.timeOrigin"))
        if document in self._seen:
            return None
        self._seen.add(document)
        width = (page.viewport_size or {}).get("width")
        if width and width < 1000:
            label = f"{label} [{width} px]"
        self.pages.append(label)
        where = f"{label} <{page.url}>"
        for violation in axe_violations(page):
            self.problems.append(f"{where}: axe {format_violation(violation)}")
        found = structure(page)
        for problem in found["problems"]:
            self.problems.append(f"{where}: {problem}")
        if expect_errors and not found["invalid"]:
            self.problems.append(f"{where}: expected fields marked invalid (aria-invalid), found none")
        for check in self.checks:
            self.problems.extend(f"{where}: {problem}" for problem in check(page))
        return found

    def report(self):
        return (f"{len(self.problems)} accessibility problem(s) on {len(self.pages)} page(s):\n"
                + "\n".join(self.problems))

"""German interface strings on a page read in English: `german_leaks(page)`.

The catalogue's German msgids are the interface. Each is cut at its placeholders (and at markup), and every piece of
two or more words is a phrase that must not appear on a page rendered in English ("Unterzeichnet von" from
"Unterzeichnet von %(party)s", "noch nicht zu übersehen"). Single words are left out: one German word is too often
a name, a domain term kept in English (Vorlage, Beratungsfolge) or the same word in both languages.

Quoted record content is German on purpose and is not checked: what users wrote, the Vorlage's text and the
snapshots carry lang="de" (WCAG 3.1.2 Language of Parts; agreements/templatetags/record_language.py), and text
inside an element whose language is German is skipped (interface words inside it, marked with the page's language,
are checked again). Checked are the rendered text of the rest of the page (screen reader text included), the
options of its selects and the texts of its attributes (aria-label, title, placeholder, alt, the value of a button).
The document's title is left out: it cannot mark a part as German, and an agreement's title is part of it; its
interface words are the page's heading, which is checked.
"""

import functools
import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"

# Placeholders of python-format and brace strings, and markup in a msgid: a phrase never spans them.
_CUT = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%[sdifr]|\{[^{}]*\}|<[^<>]*>")
_EDGE = " \t\n.,;:!?()[]„“”‚‘\"'–—-/…*"


def _words(fragment):
    return [w for w in fragment.split() if any(c.isalpha() for c in w)]


@functools.cache
def german_phrases(catalogue=CATALOGUE):
    """{phrase: msgid} for every German phrase of two or more words in the English catalogue whose English text
    does not contain it too (a § reference or "Excel (XLSX)" reads the same in both languages)."""
    import polib

    phrases = {}
    for entry in polib.pofile(str(catalogue)):
        if entry.obsolete:
            continue
        english = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            for fragment in _CUT.split(msgid):
                phrase = " ".join(fragment.split()).strip(_EDGE)
                if len(_words(phrase)) >= 2 and phrase not in " ".join(english.split()):
                    phrases.setdefault(phrase, msgid)
    return phrases


# The page's text outside German parts, text node by text node in document order: a node inside an element whose
# language is German is left out (interface words inside it, marked with the page's language, count again), as is
# text that is not rendered (display: none, a closed <details>) and the text of selects, scripts and form values.
# Text runs on within a line of inline elements and starts a new line at every other box (a block, a table cell, a
# button) and at <br>, as it is read.
_PAGE_TEXT_JS = """
() => {
  const german = (el) => {
    const holder = el.closest('[lang]');
    return !!holder && /^de(-|$)/i.test(holder.getAttribute('lang'));
  };
  const boxes = new Map();
  const boxOf = (el) => {
    const start = el;
    const path = [];
    while (el && el !== document.body) {
      if (boxes.has(el)) break;
      path.push(el);
      const display = getComputedStyle(el).display;
      if (display !== 'inline' && display !== 'contents') {
        boxes.set(el, el);
        break;
      }
      el = el.parentElement;
    }
    const box = el && el !== document.body ? boxes.get(el) : document.body;
    path.forEach((item) => boxes.set(item, box));
    return boxes.get(start) || box;
  };
  const parts = [];
  let box = null;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (node.tagName === 'BR') parts.push('\\n');
      continue;
    }
    const parent = node.parentElement;
    if (!parent || !node.data.trim()) continue;
    if (parent.closest('select, script, style, template, noscript, textarea, title')) continue;
    if (!parent.checkVisibility() || german(parent)) continue;
    const here = boxOf(parent);
    if (here !== box) parts.push('\\n');
    box = here;
    parts.push(node.data);
  }
  for (const option of document.querySelectorAll('option')) {
    if (!german(option)) parts.push('\\n', option.textContent);
  }
  const attributes = ['aria-label', 'title', 'placeholder', 'alt', 'aria-roledescription'];
  for (const el of document.querySelectorAll(attributes.map((a) => `[${a}]`).join(','))) {
    if (german(el) || el.tagName === 'TITLE') continue;
    for (const name of attributes) if (el.hasAttribute(name)) parts.push('\\n', el.getAttribute(name));
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button], input[type=reset]')) {
    if (!german(el)) parts.push('\\n', el.value);
  }
  return parts.join('');
}
"""


def page_text(page):
    """The page's interface text (see the module's docstring), one line per block, cell or attribute."""
    return page.evaluate(_PAGE_TEXT_JS)


def find_phrases(text, phrases):
    """[(phrase, msgid, line)] for every phrase found in `text` as whole words, line by line."""
    found = {}
    for raw in text.splitlines():
        for cell in raw.split("\t"):
            line = " ".join(cell.split())
            if len(_words(line)) < 2:
                continue
            for phrase, msgid in phrases.items():
                if phrase in line and phrase not in found and re.search(
                        rf"(?<!\w){re.escape(phrase)}(?!\w)", line):
                    found[phrase] = (phrase, msgid, line)
    return list(found.values())


def german_leaks(page):
    """Every German interface phrase on `page` outside quoted record content: [(phrase, msgid, line)]."""
    return find_phrases(page_text(page), german_phrases())


def format_leak(leak):
    phrase, msgid, line = leak
    return f"German {phrase!r} (msgid {msgid!r}) in {line[:160]!r}"


def german_interface_strings(page):
    """The leaks of `page` as problem lines, for a11y.Audit(checks=[...])."""
    return [format_leak(leak) for leak in german_leaks(page)]

"use strict";
// What Django's admin leaves out for WCAG 2.1 AA (checked by tests/e2e/test_accessibility.py with axe-core):
// - The autocomplete fields (Select2) render a combobox and a text box without an accessible name: they get the
//   field's label, or in a tabular inline the column's heading (axe aria-input-field-name).
// - The filter of a "filter_horizontal" field (users' groups and permissions) puts aria-label on a span without a
//   role: it is an icon, so it gets role="img" (axe aria-prohibited-attr).
// Select2 and SelectFilter2 build their markup after the page has loaded and again for new inline rows, so the
// names are given whenever the page changes.
(function () {
  function labelId(select) {
    const label = document.querySelector('label[for="' + select.id + '"]');
    if (label) {
      if (!label.id) {
        label.id = select.id + "-label";
      }
      return label.id;
    }
    return null;
  }

  function columnHeading(select) {
    const cell = select.closest("td");
    const table = select.closest("table");
    if (!cell || !table) {
      return "";
    }
    const name = [...cell.classList].find((c) => c.startsWith("field-"));
    const heading = name && table.querySelector("th.column-" + name.slice("field-".length));
    return heading ? heading.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function name(element, id, heading) {
    if (id) {
      // The combobox reads the label, then the value shown (Select2's own reference, kept).
      const value = element.classList.contains("select2-selection")
        ? [id, ...(element.getAttribute("aria-labelledby") || "").split(" ").filter((ref) => ref && ref !== id)]
          .join(" ")
        : id;
      element.setAttribute("aria-labelledby", value);
    } else if (heading) {
      element.setAttribute("aria-label", heading);
    }
  }

  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) {
        return;
      }
      const id = labelId(select);
      const heading = id ? "" : columnHeading(select);
      container.querySelectorAll(".select2-selection, .select2-selection__rendered, .select2-search__field")
        .forEach((element) => name(element, id, heading));
    });
  }

  function iconRoles() {
    document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function repair() {
    nameAutocompletes();
    iconRoles();
  }

  // MutationObserver callbacks run right after the change (a microtask), before the page can be read.
  new MutationObserver(repair).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", repair);
  window.addEventListener("load", repair);
})();

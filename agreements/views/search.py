"""The full-text search page: one box over agreements, goals, proposals, statements, letters, Vorlagen and files.

Only logged-in users search: the index holds internal records. The public part of the Vorlagen has its own list.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from agreements.infra import search as index

from .. import models as m
from .base import Routes

urlpatterns = Routes()

PAGE_SIZE = 20


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Suchbegriffe"), required=False, max_length=index.MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Alle Wörter müssen vorkommen; „Wortgruppe“ in Anführungszeichen, -Wort schließt aus."),
    )
    art = forms.ChoiceField(
        label=_("Art"), required=False, choices=[("", _("alle"))] + list(m.SearchEntry.Kind.choices),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.attrs = {"role": "search"}
        self.helper.layout = Layout(Row(Column("q", css_class="col-md-8"), Column("art", css_class="col-md-4")))
        # No name: the button must not add a parameter to the URL.
        self.helper.add_input(Submit("", _("Suchen")))


def _page_number(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


@urlpatterns.route("suche/", name="search")
@require_safe
def search_page(request):
    form = SearchForm(request.GET or None)
    context = {"form": form, "query": "", "searched": False}
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        text = form.cleaned_data["q"]
        kinds = [form.cleaned_data["art"]] if form.cleaned_data["art"] else None
        number = _page_number(request.GET.get("page"))
        results, total = index.search(
            request.user, text, kinds=kinds, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE,
        )
        # The paginator only numbers the pages; search() has fetched the page's results already.
        paginator = Paginator(range(total), PAGE_SIZE)
        if number > paginator.num_pages:
            number = paginator.num_pages
            if total:
                results, total = index.search(
                    request.user, text, kinds=kinds, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE,
                )
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            searched=True, results=results, total=total, page=paginator.page(number), query=query.urlencode(),
            first_number=(number - 1) * PAGE_SIZE + 1,
        )
    return render(request, "search/search.html", context)

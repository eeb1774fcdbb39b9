from django import forms
from django.utils.translation import gettext_lazy as _


class PassageReviewForm(forms.Form):
    """The checklist of a follow-on: the copied passages the author has reviewed, ticked. The page renders one
    checkbox per open passage next to the passage itself (templates/agreements/follow_on_review.html)."""

    passages = forms.TypedMultipleChoiceField(
        label=_("geprüfte Passagen"), coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Wählen Sie mindestens eine Passage aus, die Sie geprüft haben.")},
    )

    def __init__(self, *args, passages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["passages"].choices = [(p.pk, str(p)) for p in passages if not p.is_reviewed]

"""Forms of "Mes demandes": the list's filters and the withdrawal of waiting days.

Ids a family passes (a child, a request line) are checked by the views against the family's own
records before any form sees them: another family's id is a 404, not a form error.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..models import Request


class RequestFilterForm(forms.Form):
    """The filters of the list of requests (GET): a child, a type and a state."""

    enfant = forms.TypedChoiceField(label=_("Child"), coerce=int, required=False, empty_value=None)
    type = forms.ChoiceField(label=_("Type of request"), required=False)
    etat = forms.ChoiceField(label=pgettext_lazy("family portal", "State"), required=False)

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enfant"].choices = [("", _("All children"))] + [
            (str(child.pk), child.first_name) for child in children
        ]
        self.fields["type"].choices = [("", pgettext_lazy("family portal", "All types"))] + list(
            Request.Topic.choices
        )
        self.fields["etat"].choices = [("", _("All states"))] + list(Request.State.choices)


class WithdrawForm(forms.Form):
    """Which waiting days of a request to take back (none chosen with "all": every one)."""

    lines = forms.TypedMultipleChoiceField(
        label=_("Days to withdraw"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(str(line.pk), str(line.date)) for line in lines]

"""Wagtail's date pickers without inline scripts, for the agents' screens.

Wagtail's ``AdminDateInput`` writes ``<script>initDateChooser(…)</script>`` after each input,
which a strict Content-Security-Policy refuses. These widgets put the same configuration in a
``data-wfp-date-chooser`` attribute instead; ``static/wagtail_family_portal/admin.js`` starts
Wagtail's picker from it (including in filters that the admin reloads in place).
"""

from django import forms
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.widgets import AdminDateInput

ADMIN_SCRIPT = "wagtail_family_portal/admin.js"


class DateInput(AdminDateInput):
    template_name = "django/forms/widgets/date.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-wfp-date-chooser"] = context["widget"]["config_json"]
        return context

    @property
    def media(self):
        return super().media + forms.Media(js=[ADMIN_SCRIPT])


class DateRangeInput(DateRangePickerWidget):
    """Wagtail's "from – to" pair of date pickers, with ``DateInput`` for each."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets = [
            DateInput(attrs={"placeholder": w.attrs["placeholder"]}) for w in self.widgets
        ]

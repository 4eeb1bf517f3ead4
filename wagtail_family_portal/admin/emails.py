"""The editors' form for e-mail texts: which placeholders each e-mail offers, and typos caught.

The renderer leaves an unknown placeholder as typed (``{prenom}`` would reach families as is),
so the form refuses it and names the ones the chosen e-mail offers.
"""

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from ..emails.kinds import KINDS

PLACEHOLDER_FIELDS = ("subject", "body")


def format_placeholders(names) -> str:
    return ", ".join("{" + name + "}" for name in names)


def placeholders_help(kind_key: str | None) -> str:
    """The placeholders of one kind of e-mail, or of each kind when none is chosen yet."""
    kinds = [KINDS[kind_key]] if kind_key in KINDS else list(KINDS.values())
    lines = [
        gettext("Placeholders of “%(email)s”: %(placeholders)s.")
        % {"email": kind.label, "placeholders": format_placeholders(kind.placeholders)}
        for kind in kinds
    ]
    lines.append(gettext("Leave a blank line between paragraphs."))
    return " ".join(lines)


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in ``text`` (a lone brace is no placeholder: it shows as is)."""
    try:
        parsed = list(string.Formatter().parse(text or ""))
    except ValueError:
        return []
    return [field for _literal, field, _spec, _conversion in parsed if field is not None]


class EmailTemplateForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.data.get(self.add_prefix("kind")) or self.initial.get("kind")
        self.fields["body"].help_text = placeholders_help(kind or self.instance.kind)

    def clean(self):
        cleaned_data = super().clean()
        kind = KINDS.get(cleaned_data.get("kind") or "")
        if kind is None:
            return cleaned_data
        for field in PLACEHOLDER_FIELDS:
            unknown = [
                name
                for name in placeholders_in(cleaned_data.get(field, ""))
                if name not in kind.placeholders
            ]
            if unknown:
                self.add_error(
                    field,
                    ValidationError(
                        _("Unknown placeholder: %(unknown)s. This e-mail offers %(placeholders)s.")
                        % {
                            "unknown": format_placeholders(dict.fromkeys(unknown)),
                            "placeholders": format_placeholders(kind.placeholders),
                        },
                        code="unknown_placeholder",
                    ),
                )
        return cleaned_data

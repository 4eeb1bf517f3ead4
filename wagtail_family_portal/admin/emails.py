"""The editors' form for e-mail texts: the placeholders each e-mail offers, checked at save.

The checks themselves are the model's (``EmailTemplate.clean`` → ``emails.placeholders``), so
that every way of saving a template refuses an unknown placeholder or an empty text.
"""

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from wagtail.admin.forms import WagtailAdminModelForm

from ..emails.kinds import KINDS, descriptions


def placeholders_help(kind_key: str | None):
    """The placeholders of one kind of e-mail with what each holds, or of each kind."""
    chosen = [KINDS[kind_key]] if kind_key in KINDS else list(KINDS.values())
    blocks = []
    for kind in chosen:
        items = format_html_join(
            "",
            "<li><code>{{{{ {} }}}}</code> — {}</li>",
            ((name, text) for name, text in descriptions(kind).items()),
        )
        blocks.append(
            format_html(
                "<p>{}</p><ul>{}</ul>",
                gettext("Placeholders of “%(email)s”:") % {"email": kind.label},
                items,
            )
        )
    blocks.append(format_html("<p>{}</p>", gettext("Leave a blank line between paragraphs.")))
    return format_html_join("", "{}", ((block,) for block in blocks))


class EmailTemplateForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.data.get(self.add_prefix("kind")) or self.initial.get("kind")
        self.fields["intro"].help_text = placeholders_help(kind or self.instance.kind)

"""Placeholders in editors' e-mail texts: ``{{ name }}`` replaced by a value, nothing else.

Texts are plain text, not Django templates: no tag, filter or attribute access can reach the
objects behind the values, and the values are escaped by the HTML layout like the text itself.
Templates are checked when saved (``check_template``): an unknown placeholder, a brace that is
not one, or a subject or introduction with no word of its own is refused with a message.
"""

import re

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .kinds import KINDS, TEMPLATE_TEXT_FIELDS

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# A single-brace name: the syntax of earlier versions, or a typo.
SINGLE_BRACES = re.compile(r"(?<!\{)\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}(?!\})")
WORD = re.compile(r"\w")
# Placeholders that can be empty for some families (no first name, no activity…).
MAY_BE_EMPTY = {"first_name", "last_name", "family_name", "activity", "municipality"}


def placeholders_in(text: str) -> list[str]:
    return PLACEHOLDER.findall(text or "")


def fill(text: str, values: dict) -> str:
    """Replace each ``{{ name }}`` of ``values``; an unknown one stays as typed."""
    if "{" not in text:
        return text

    def replace(match):
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return PLACEHOLDER.sub(replace, text)


def braces(names) -> str:
    return ", ".join("{{ " + name + " }}" for name in names)


def check_text(text: str, allowed) -> list[str]:
    """What is wrong with the placeholders of ``text``, as messages for the editor."""
    errors = []
    unknown = [name for name in placeholders_in(text) if name not in allowed]
    if unknown:
        errors.append(
            gettext("Unknown placeholder: %(unknown)s. This e-mail offers %(placeholders)s.")
            % {"unknown": braces(dict.fromkeys(unknown)), "placeholders": braces(allowed)}
        )
    rest = PLACEHOLDER.sub("", text or "")
    single = SINGLE_BRACES.findall(rest)
    if single:
        errors.append(
            gettext("Write placeholders with double braces: %(examples)s.")
            % {"examples": braces(dict.fromkeys(single))}
        )
    elif "{" in rest or "}" in rest:
        errors.append(
            gettext(
                "A brace that is not part of a placeholder: write placeholders as "
                "{{ first_name }}, without other braces."
            )
        )
    return errors


def check_template(template) -> dict:
    """Errors by field of an ``EmailTemplate`` (empty when it can be saved)."""
    kind = KINDS.get(template.kind or "")
    if kind is None:
        return {}
    errors = {}
    for name in TEMPLATE_TEXT_FIELDS:
        problems = check_text(getattr(template, name) or "", kind.placeholders)
        if problems:
            errors[name] = problems
    # A subject or introduction that says nothing once its placeholders are empty would send
    # families an empty e-mail (an empty field keeps the default wording: that is fine).
    for name, label in (
        ("subject", pgettext_lazy("family portal", "subject")),
        ("intro", _("introduction")),
    ):
        text = getattr(template, name) or ""
        if name in errors or not text.strip():
            continue
        worst_case = PLACEHOLDER.sub(
            lambda match: "" if match.group(1) in MAY_BE_EMPTY else "x", text
        )
        if not WORD.search(worst_case):
            errors[name] = [
                gettext(
                    "The %(field)s would be empty for some families: write some words, or "
                    "leave the field empty to keep the default wording."
                )
                % {"field": label}
            ]
    return errors

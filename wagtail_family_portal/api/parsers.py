"""The API's parsers: every body is checked as a whole before a view reads a field of it.

Two kinds of input would otherwise end in a 500 somewhere below the views: a text with a NUL
character or an unpaired surrogate (PostgreSQL cannot store the first, UTF-8 cannot encode the
second), and JSON nested so deeply that decoding it exhausts Python's recursion limit. The
parsers refuse both with a 400: ``{"<path>": ["…"]}`` naming the field (``fields.profession``,
``dates.0``), or ``{"detail": "…"}`` for a body that is not valid or is nested too deeply.
The query string gets the same text check (``FamilyPortalAPIMixin.initial``).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from ..validators import FORBIDDEN_CHARACTERS_MESSAGE, has_forbidden_characters

# The API's bodies are at most three levels deep ({"fields": {"name": "value"}}).
MAX_DEPTH = 20
NOT_JSON = _("The request body is not valid JSON.")
TOO_DEEP = _("The request body is nested too deeply (at most %(depth)d levels).")


def forbidden_text_path(data) -> str | None:
    """The path (``fields.profession``) of the first text of ``data`` with a forbidden
    character, ``""`` for ``data`` itself, or None. A forbidden key is reported at its
    container. Iterative, and refuses data nested deeper than :data:`MAX_DEPTH`."""
    stack = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(TOO_DEEP % {"depth": MAX_DEPTH})
        if isinstance(value, str):
            if has_forbidden_characters(value):
                return ".".join(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and has_forbidden_characters(key):
                    return ".".join(path)
                stack.append((item, (*path, str(key)), depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, str(n)), depth + 1) for n, item in enumerate(value))
    return None


def check_texts(data) -> None:
    """400 when a text of ``data`` has a character no column can store."""
    path = forbidden_text_path(data)
    if path is not None:
        raise ValidationError({path or "detail": [FORBIDDEN_CHARACTERS_MESSAGE]})


def check_query_dict(query) -> None:
    """The same check for a query string or a form body (a ``QueryDict``): the parameter is
    named, whichever of its values is at fault."""
    for key in query:
        if has_forbidden_characters(key):
            raise ValidationError({"detail": [FORBIDDEN_CHARACTERS_MESSAGE]})
        if any(has_forbidden_characters(value) for value in query.getlist(key)):
            raise ValidationError({key: [FORBIDDEN_CHARACTERS_MESSAGE]})


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser: strict (no NaN), translated messages that do not echo Python's parser
    error, a depth limit, and the text check."""

    strict = True

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(NOT_JSON) from None
        except RecursionError:
            raise ParseError(TOO_DEEP % {"depth": MAX_DEPTH}) from None
        check_texts(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_query_dict(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Files and form fields; the fields and the files' names get the text check."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_query_dict(result.data)
        for key in result.files:
            names = [upload.name or "" for upload in result.files.getlist(key)]
            if any(has_forbidden_characters(name) for name in names):
                raise ValidationError({key: [FORBIDDEN_CHARACTERS_MESSAGE]})
        return result

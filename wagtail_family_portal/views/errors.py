"""A form shown again with errors: its error box, not one of its fields, takes the focus.

The templates give the box (``accounts/form_errors.html``, the login form's) ``autofocus``; a
field of Django's forms may ask for it too (the login's e-mail, the current password). The
first element that asks gets it, and the box comes first, but no field should ask then.
"""


def drop_autofocus(form) -> None:
    for field in form.fields.values():
        field.widget.attrs.pop("autofocus", None)

"""The base form of the agents' screens: foreign-key choices limited to the agent's municipalities.

Restricting the field's queryset both hides other towns' rows from the select boxes and makes
Django refuse a forged POST that names one ("Select a valid choice").
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.models import WagtailAdminModelFormMetaclass

from .scoping import for_agent, is_scoped


class ScopedChoicesMixin:
    """Limit every foreign-key field to the rows ``for_user`` may see."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and is_scoped(field.queryset.model):
                field.queryset = for_agent(field.queryset, self.for_user)


class ParentKnownFormSetMixin:
    """Each child form's instance knows its parent before it is validated.

    django-modelcluster ties a child row to its parent only when the parent is saved (and gives
    the formsets of a creation form a parent of their own until then), so a child's ``clean()``
    (a school of the family's municipality) would otherwise run without it. The parent form is
    validated first, so the parent holds the values being saved.
    """

    def full_clean(self):
        for form in self.forms:
            setattr(form.instance, self.fk.name, self.instance)
        super().full_clean()


class MunicipalityScopedFormMetaclass(WagtailAdminModelFormMetaclass):
    def __new__(cls, name, bases, attrs):
        new_class = super().__new__(cls, name, bases, attrs)
        # InlinePanel child forms (guardians, children, contacts) are scoped the same way. Their
        # form classes are built by Wagtail's InlinePanel, so the mixins are added here.
        formsets = getattr(new_class, "formsets", {})
        for relation, formset_class in formsets.items():
            if not issubclass(formset_class, ParentKnownFormSetMixin):
                formset_class = type(formset_class)(
                    formset_class.__name__, (ParentKnownFormSetMixin, formset_class), {}
                )
                formsets[relation] = formset_class
            # Hand the user down to the child forms (django-modelcluster's mechanism).
            formset_class.inherit_kwargs = ["for_user"]
            child_form = formset_class.form
            if not issubclass(child_form, ScopedChoicesMixin):
                formset_class.form = type(child_form)(
                    child_form.__name__, (ScopedChoicesMixin, child_form), {}
                )
        return new_class


class MunicipalityScopedForm(
    ScopedChoicesMixin, WagtailAdminModelForm, metaclass=MunicipalityScopedFormMetaclass
):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What django-modelcluster does when saving, done before validating (see above).
        for formset in self.formsets.values():
            formset.instance = self.instance


class AcceptDecisionForm(forms.Form):
    """The agent's optional message with an acceptance (a file change, a booking day…)."""

    message = forms.CharField(
        label=_("Message to the family (optional)"),
        required=False,
        help_text=_(
            "The family reads it in the history of its request, and in the next e-mail summing "
            "up its decisions if it receives them."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RefuseDecisionForm(forms.Form):
    """The agent's message with a refusal: required, the family must know why.

    Subclasses say what is refused in ``refusal_help``.
    """

    refusal_help = ""
    message = forms.CharField(
        label=_("Message to the family"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].help_text = self.refusal_help

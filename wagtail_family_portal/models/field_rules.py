"""The site setting editors use to choose which family file fields families see and change.

The catalogue and its defaults live in ``wagtail_family_portal.file_fields``; this setting stores
only what a site's editors changed. Its form has one select per catalogue field (form fields
that are not model fields, which ``FieldPanel`` accepts when the form class declares them).
"""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.contrib.settings.models import register_setting

from ..file_fields import (
    MANDATORY_FIELD_MESSAGE,
    TARGETS,
    TAX_DATA_MESSAGE,
    FieldMode,
    FieldRules,
    FieldSpec,
    Target,
)
from .settings import MunicipalitySiteSetting


def rule_field_name(target: str, field: str) -> str:
    """The form field holding ``target.field``'s mode, e.g. ``rule__guardian__iban``."""
    return f"rule__{target}__{field}"


class ModeField(forms.ChoiceField):
    """A select of the modes one catalogue field allows; a forged other mode gets the reason."""

    def __init__(self, target: Target, spec: FieldSpec, **kwargs):
        self.spec = spec
        choices = [(mode.value, mode.label) for mode in spec.allowed_modes]
        kwargs.setdefault("help_text", self.restriction or "")
        super().__init__(label=target.field_label(spec.name), choices=choices, **kwargs)

    @property
    def restriction(self):
        """Why some modes are not offered (None when all are)."""
        if self.spec.tax:
            return TAX_DATA_MESSAGE
        if self.spec.mandatory:
            return MANDATORY_FIELD_MESSAGE
        return None

    def validate(self, value):
        if value in FieldMode.values and value not in self.spec.allowed_modes:
            raise forms.ValidationError(self.restriction, code="mode_not_allowed")
        super().validate(value)


class _FamilyFileRulesFormBase(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = FieldRules.from_overrides(self.instance.rules)
        for target in TARGETS.values():
            for spec in target.fields:
                name = rule_field_name(target.name, spec.name)
                if name in self.fields:
                    self.initial[name] = current.mode(target.name, spec.name).value

    def chosen_rules(self) -> FieldRules:
        """The rules the editor chose (fields missing from the form keep their stored mode)."""
        chosen = FieldRules.from_overrides(self.instance.rules).overrides()
        for target in TARGETS.values():
            for spec in target.fields:
                value = self.cleaned_data.get(rule_field_name(target.name, spec.name))
                if value:
                    chosen.setdefault(target.name, {})[spec.name] = value
        return FieldRules.from_overrides(chosen)

    def save(self, commit=True):
        self.instance.rules = self.chosen_rules().overrides()
        return super().save(commit=commit)


# The mode fields are declared on the class (not added in __init__) so that the panels' form
# factory accepts their names.
FamilyFileRulesForm = type(_FamilyFileRulesFormBase)(
    "FamilyFileRulesForm",
    (_FamilyFileRulesFormBase,),
    {
        "__module__": __name__,
        **{
            rule_field_name(target.name, spec.name): ModeField(target, spec)
            for target in TARGETS.values()
            for spec in target.fields
        },
    },
)


@register_setting(icon="form")
class FamilyFileRules(MunicipalitySiteSetting):
    """Per site: the modes of the family file fields that differ from the defaults."""

    rules = models.JSONField(
        _("field rules"),
        default=dict,
        blank=True,
        help_text=_(
            'Only the modes that differ from the defaults, e.g. {"guardian": {"iban": "hidden"}}.'
        ),
    )

    base_form_class = FamilyFileRulesForm

    @classmethod
    def rules_for(cls, site) -> FieldRules:
        """The field rules of ``site``: its editors' choices over the defaults (the defaults for
        None). Reads without creating the setting row, so that a family's page view never
        writes."""
        if site is None:
            return FieldRules.defaults()
        stored = cls.objects.filter(site=site).values_list("rules", flat=True).first()
        return FieldRules.from_overrides(stored or {})

    panels = [
        HelpPanel(
            content=_(
                "Choose what families see and may change of their family file on the portal. "
                "Read-only fields are shown but cannot be changed online; hidden fields are not "
                "shown. Every change a family makes waits for an agent's validation."
            )
        ),
        *[
            MultiFieldPanel(
                [
                    FieldPanel(rule_field_name(target.name, spec.name), disable_comments=True)
                    for spec in target.fields
                ],
                heading=target.label,
            )
            for target in TARGETS.values()
        ],
    ]

    class Meta:
        verbose_name = _("family file fields")

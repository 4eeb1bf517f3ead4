"""The editors' screens for e-mail texts: the form with the placeholders of each e-mail, and the
preview and "send me a test" of the wording being edited, filled with sample data.

The checks themselves are the model's (``EmailTemplate.clean`` → ``emails.placeholders``), so
that every way of saving a template refuses an unknown placeholder or an empty text. The preview
and the test e-mail run the viewset's own form on the data posted by the edit form, without
saving it: they show the errors saving would give, and what families would read.

Every view asks the snippet's permission policy: ``change`` for a saved text (one the policy does
not give the user is a 404), ``add`` for a text not saved yet.

Also here: the list of the decision digests sent to the agents' families (``DigestDelivery``).
"""

import dataclasses
import logging

from django.conf import settings
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_list_or_404, get_object_or_404
from django.urls import path, reverse
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, HelpPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views.snippets import (
    DeleteView,
    EditView,
    HistoryView,
    IndexView,
    SnippetViewSet,
    UsageView,
)

from ..emails.kinds import KINDS, descriptions
from ..emails.rendering import email_address
from ..emails.samples import sample_email
from ..models.notifications import DigestDelivery, EmailTemplate
from . import filters
from .base import (
    MunicipalityScopedViewSet,
    ReadOnlyViewSetMixin,
    ScopedObjectMixin,
    ScopedSingleObjectMixin,
)
from .policies import policy_for
from .scoping import ListOnlyPermissionPolicy, for_agent, sites_for_agent

logger = logging.getLogger(__name__)

PREVIEW = "email_preview"
PREVIEW_NEW = "email_preview_new"
SEND_TEST = "email_test"
SEND_TEST_NEW = "email_test_new"


class EmailTemplateForm(WagtailAdminModelForm):
    """The form of ``EmailTemplate.panels``; its ``clean()`` refuses what cannot be sent.

    The sites offered are those the editor may configure (a forged other one is refused).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "site" in self.fields:
            self.fields["site"].queryset = sites_for_agent(self.for_user)

    def chosen_kind(self) -> str | None:
        """The e-mail the form is about: the one posted, else the one saved; None before one is
        chosen."""
        if self.is_bound:
            value = self.data.get(self.add_prefix("kind"))
        else:
            value = self.initial.get("kind") or self.instance.kind
        return value if value in KINDS else None


# The placeholders, next to the editor


def kinds_with_placeholders(chosen: str | None = None) -> list[dict]:
    """Each e-mail with its placeholders and what they hold; ``shown`` for the chosen one (every
    one when none is chosen yet)."""
    return [
        {
            "key": kind.key,
            "title": gettext("Placeholders of “%(email)s”:") % {"email": kind.label},
            "placeholders": list(descriptions(kind).items()),
            "shown": chosen in (None, kind.key),
        }
        for kind in KINDS.values()
    ]


# The panels' behaviour (static/wagtail_family_portal/admin.js), in a file so that a strict
# Content-Security-Policy on the admin does not stop it.
PANEL_SCRIPT = "wagtail_family_portal/admin.js"


class PlaceholdersPanel(HelpPanel):
    """The placeholders of the chosen e-mail; a small script follows the choice in the form."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("Placeholders"))
        kwargs.setdefault("icon", "code")
        kwargs.setdefault("template", "wagtail_family_portal/admin/email_placeholders_panel.html")
        super().__init__(**kwargs)

    @property
    def clean_name(self):
        return "placeholders"

    class BoundPanel(HelpPanel.BoundPanel):
        class Media:
            js = [PANEL_SCRIPT]

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            chosen = self.form.chosen_kind() if hasattr(self.form, "chosen_kind") else None
            context["kinds"] = kinds_with_placeholders(chosen)
            context["kind_field_name"] = self.form.add_prefix("kind")
            return context


class EmailToolsPanel(HelpPanel):
    """ "Preview" and "Send me a test": buttons that post the form as it is to the preview views,
    in a new tab, so that the form stays open with its changes."""

    def __init__(self, url_namespace="", **kwargs):
        kwargs.setdefault("heading", _("Preview and test"))
        kwargs.setdefault("icon", "view")
        kwargs.setdefault("template", "wagtail_family_portal/admin/email_tools_panel.html")
        super().__init__(**kwargs)
        self.url_namespace = url_namespace

    def clone_kwargs(self):
        return {**super().clone_kwargs(), "url_namespace": self.url_namespace}

    @property
    def clean_name(self):
        return "preview"

    class BoundPanel(HelpPanel.BoundPanel):
        class Media:
            js = [PANEL_SCRIPT]

        def url(self, name) -> str:
            namespace = self.panel.url_namespace
            if self.instance.pk is None:
                return reverse(f"{namespace}:{name}_new")
            return reverse(f"{namespace}:{name}", args=[quote(self.instance.pk)])

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context.update(
                preview_url=self.url(PREVIEW),
                test_url=self.url(SEND_TEST),
                address=getattr(self.request.user, "email", ""),
            )
            return context


def email_template_edit_handler(url_namespace: str) -> ObjectList:
    """``EmailTemplate.panels`` with the placeholders after the choice of the e-mail, and the
    preview and test buttons at the end."""
    panels = list(EmailTemplate.panels)
    after_kind = next(
        (
            index + 1
            for index, panel in enumerate(panels)
            if isinstance(panel, FieldPanel) and panel.field_name == "kind"
        ),
        0,
    )
    panels.insert(after_kind, PlaceholdersPanel())
    panels.append(EmailToolsPanel(url_namespace=url_namespace))
    return ObjectList(panels, base_form_class=EmailTemplateForm)


# The listing: a "Preview" button per text


class EmailTemplateIndexView(IndexView):
    """The texts of the editor's sites, each with a "Preview" button."""

    preview_url_name = None

    def get_base_queryset(self):
        return for_agent(super().get_base_queryset(), self.request.user)

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.preview_url_name and self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", instance
        ):
            buttons.append(
                Button(
                    pgettext_lazy("family portal", "Preview"),
                    url=reverse(self.preview_url_name, args=[quote(instance.pk)]),
                    icon_name="view",
                    priority=15,
                )
            )
        return buttons


# The other views of a text, and the bulk deletion, limited to the editor's sites


EmailTemplateEditView = type("EmailTemplateEditView", (ScopedSingleObjectMixin, EditView), {})
EmailTemplateDeleteView = type("EmailTemplateDeleteView", (ScopedSingleObjectMixin, DeleteView), {})
EmailTemplateHistoryView = type("EmailTemplateHistoryView", (ScopedObjectMixin, HistoryView), {})
EmailTemplateUsageView = type("EmailTemplateUsageView", (ScopedObjectMixin, UsageView), {})


class EmailTemplateDeleteBulkAction(DeleteBulkAction):
    """Wagtail's bulk deletion of snippets, for e-mail texts: only those of the editor's sites
    (Wagtail 7.4 checks the model permission only)."""

    models = [EmailTemplate]

    def get_queryset(self, model, object_ids):
        return get_list_or_404(
            for_agent(model._default_manager.all(), self.request.user), pk__in=object_ids
        )

    def get_all_objects_in_listing_query(self, parent_id):
        texts = for_agent(self.model._default_manager.all(), self.request.user)
        return texts.values_list("pk", flat=True)

    def check_perm(self, snippet):
        return policy_for(EmailTemplate).user_has_permission_for_instance(
            self.request.user, "delete", snippet
        )


# Preview and test e-mail


class EmailPreviewView(WagtailAdminTemplateMixin, TemplateView):
    """The e-mail of a text filled with sample data: subject, HTML and plain text.

    GET shows a saved text; POST shows the data of the edit form without saving it (its
    "Preview" button posts here, from the edit or the creation form), with the errors saving
    would give. The e-mail is rendered in the site's language, as families receive it.
    """

    model = EmailTemplate
    permission_policy = None
    form_class = None
    template_name = "wagtail_family_portal/admin/email_preview.html"
    page_title = pgettext_lazy("family portal", "Preview")
    header_icon = "mail"
    index_url_name = None
    edit_url_name = None
    url_namespace = None
    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        pk = kwargs.get("pk")
        action = "add" if pk is None else "change"
        if not self.permission_policy.user_has_permission(request.user, action):
            raise PermissionDenied
        self.object = self.get_object(unquote(str(pk))) if pk is not None else None
        if self.object is None and request.method == "GET":
            return HttpResponseNotAllowed(["POST"])
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, pk):
        texts = self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, ["change"]
        )
        template = get_object_or_404(texts.select_related("site"), pk=pk)
        if not self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", template
        ):
            raise PermissionDenied
        return template

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        return self.form_class(
            data, instance=self.object or EmailTemplate(), for_user=self.request.user
        )

    def get(self, request, *args, **kwargs):
        return self.render_page(self.get_form())

    def post(self, request, *args, **kwargs):
        return self.render_page(self.get_form())

    # What the page shows

    def sample(self, form):
        """The e-mail of the form's text (as typed, errors or not), or None without a site and an
        e-mail to render."""
        if form.is_bound:
            form.is_valid()  # fills form.instance with the data, never saved
            if "site" in form.errors or "kind" in form.errors:
                return None
        template = form.instance
        if template.kind not in KINDS or template.site_id is None:
            return None
        with translation.override(settings.LANGUAGE_CODE):
            return sample_email(
                template.kind,
                site=template.site,
                to=getattr(self.request.user, "email", "") or "",
                custom=template,
            )

    def errors(self, form) -> list[tuple[str, list[str]]]:
        if not form.is_bound or form.is_valid():
            return []
        labelled = []
        for name, problems in form.errors.items():
            label = "" if name == NON_FIELD_ERRORS else form[name].label
            labelled.append((label, list(problems)))
        return labelled

    def url(self, name) -> str:
        if self.object is None:
            return reverse(f"{self.url_namespace}:{name}_new")
        return reverse(f"{self.url_namespace}:{name}", args=[quote(self.object.pk)])

    def render_page(self, form, *, email=None, status=200):
        email = email or self.sample(form)
        context = self.get_context_data(
            form=form,
            email=email,
            errors=self.errors(form),
            send_test_url=self.url(SEND_TEST),
            address=getattr(self.request.user, "email", ""),
            edit_url=(
                reverse(self.edit_url_name, args=[quote(self.object.pk)]) if self.object else ""
            ),
        )
        response = self.render_to_response(context)
        response.status_code = status
        return response

    @cached_property
    def subject_label(self) -> str:
        kind = KINDS.get(self.object.kind) if self.object else None
        return str(kind.label) if kind else ""

    def get_page_subtitle(self):
        if self.object is None:
            return gettext("New e-mail text")
        return f"{self.subject_label} — {self.object.site}"

    def get_breadcrumbs_items(self):
        items = [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": self.model._meta.verbose_name_plural},
        ]
        if self.object is not None:
            items.append(
                {
                    "url": reverse(self.edit_url_name, args=[quote(self.object.pk)]),
                    "label": str(self.object),
                }
            )
        items.append(
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()}
        )
        return items


class SendTestEmailView(EmailPreviewView):
    """POST only: the sample e-mail of the form's text to the user's own address, its subject
    starting with "[Test]"; then the preview of what was sent."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        address = getattr(request.user, "email", "")
        if not address:
            messages.error(
                request,
                _(
                    "Your account has no e-mail address: add one in your account settings to "
                    "receive a test e-mail."
                ),
            )
            return self.render_page(form, status=400)
        if not form.is_valid():
            messages.error(request, _("The test e-mail was not sent: correct the text first."))
            return self.render_page(form, status=400)
        email = self.sample(form)
        with translation.override(settings.LANGUAGE_CODE):
            subject = gettext("[Test] %(subject)s") % {"subject": email.subject}
        email = dataclasses.replace(email, subject=subject, to=(address,))
        try:
            email.send()
        except Exception as error:  # any backend: SMTP, an HTTP API (django-anymail)…
            logger.exception("Test e-mail to %s not sent", address)
            messages.error(
                request,
                _("The test e-mail could not be sent: %(error)s") % {"error": error},
            )
            return self.render_page(form, email=email, status=502)
        messages.success(
            request, _("A test e-mail was sent to %(address)s.") % {"address": address}
        )
        return self.render_page(form, email=email)


# The screens


class EmailTemplateViewSet(SnippetViewSet):
    """E-mail texts, for editors (Settings → E-mail texts); not given to the agents' group."""

    model = EmailTemplate
    icon = "mail"
    menu_label = _("E-mail texts")
    menu_name = "family_portal_email_texts"
    add_to_settings_menu = True
    list_display = [
        "site",
        Column("kind", label=_("e-mail"), accessor="get_kind_display", sort_key="kind"),
        "subject",
    ]
    filterset_class = filters.EmailTemplateFilterSet
    index_view_class = EmailTemplateIndexView
    edit_view_class = EmailTemplateEditView
    delete_view_class = EmailTemplateDeleteView
    history_view_class = EmailTemplateHistoryView
    usage_view_class = EmailTemplateUsageView
    copy_view_enabled = False  # a copy would clash with its original (one text per e-mail)

    @cached_property
    def permission_policy(self):
        """The policy registered for e-mail texts, on Wagtail 7.4 too."""
        return policy_for(self.model)

    def get_edit_handler(self):
        """The model's panels, with the placeholders of the chosen e-mail and the preview."""
        return email_template_edit_handler(self.url_namespace).bind_to_model(self.model)

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(preview_url_name=self.get_url_name(PREVIEW), **kwargs)

    def email_view(self, view_class):
        return self.construct_view(
            view_class,
            permission_policy=self.permission_policy,
            form_class=self.get_form_class(),
            url_namespace=self.url_namespace,
        )

    def get_urlpatterns(self):
        """Wagtail's snippet views, and the preview and test e-mail of a text, saved
        (``<pk>/``) or not yet (the creation form posts to the URLs without it)."""
        preview = self.email_view(EmailPreviewView)
        send_test = self.email_view(SendTestEmailView)
        conv = self.pk_path_converter
        return [
            *super().get_urlpatterns(),
            path("email-preview/", preview, name=PREVIEW_NEW),
            path(f"email-preview/<{conv}:pk>/", preview, name=PREVIEW),
            path("email-test/", send_test, name=SEND_TEST_NEW),
            path(f"email-test/<{conv}:pk>/", send_test, name=SEND_TEST),
        ]


def _delivery_address(delivery) -> str:
    user = delivery.user
    return email_address(user) or user.get_username()


class DigestDeliveryViewSet(ReadOnlyViewSetMixin, MunicipalityScopedViewSet):
    """The decision digests sent to the agent's families, with the failures and their error:
    the place to look when a family says it got no e-mail (decisions.md §24)."""

    model = DigestDelivery
    name = "family_portal_digests"
    url_prefix = "family-portal/decision-emails"
    icon = "mail"
    menu_label = _("Decision e-mails")
    inspect_view_enabled = False
    permission_policy_class = ListOnlyPermissionPolicy
    select_related = ["user", "family"]
    list_display = [
        Column("slot", label=_("digest of"), sort_key="slot"),
        Column("family", label=_("family")),
        Column("address", label=_("e-mail address"), accessor=_delivery_address),
        Column("state", label=_("state"), accessor="get_state_display"),
        Column("attempts", label=_("failed attempts")),
        Column("last_error", label=_("last error")),
        Column("sent_at", label=_("sent at"), sort_key="sent_at"),
    ]
    filterset_class = filters.DigestDeliveryFilterSet
    ordering = ["-slot", "-pk"]

"""The municipality (collectivité) that runs a portal and owns all of its family data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..fields import PhoneField, optional_link


def sees_every_municipality(user) -> bool:
    """Whether ``user`` sees the data of every municipality, and the rows tied to none yet: an
    active superuser, the one exception to the agent-side scoping rule."""
    return user.is_authenticated and user.is_active and user.is_superuser


class MunicipalityQuerySet(models.QuerySet):
    def for_agent(self, user):
        """Municipalities whose data ``user`` may see in the admin (all of them for superusers)."""
        if sees_every_municipality(user):
            return self
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(agents=user)

    def for_site(self, site):
        return self.filter(site=site)


class ScopedQuerySet(models.QuerySet):
    """Rows that belong to a municipality through ``municipality_path``.

    ``for_agent`` is the one agent-side scoping rule: the admin, the API and later services all
    go through it.
    """

    municipality_path = "municipality"

    def for_agent(self, user):
        """Rows of the municipalities ``user`` is an agent of (every row for superusers, including
        rows tied to no municipality yet, such as a code tried on a site tied to none)."""
        if sees_every_municipality(user):
            return self.all()
        return self.filter(
            **{f"{self.municipality_path}__in": Municipality.objects.for_agent(user)}
        )


def scoped_manager(path: str):
    """A manager whose ``for_agent`` follows ``path`` (e.g. ``"child__family__municipality"``)."""
    queryset_class = type("ScopedQuerySet", (ScopedQuerySet,), {"municipality_path": path})
    return queryset_class.as_manager()


class Municipality(models.Model):
    name = models.CharField(pgettext_lazy("family portal", "name"), max_length=200)
    site = models.OneToOneField(
        "wagtailcore.Site",
        verbose_name=pgettext_lazy("family portal", "site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="family_portal_municipality",
        help_text=_("The Wagtail site that serves this municipality's family portal."),
    )
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = PhoneField(_("phone"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    sender_email = models.EmailField(
        _("sender e-mail"),
        blank=True,
        help_text=_("Address the portal's e-mails are sent from, e.g. ne-pas-repondre@ville.fr."),
    )
    website = models.URLField(_("website"), blank=True)
    logo = optional_link(
        "wagtailimages.Image",
        _("logo"),
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agents"),
        blank=True,
        related_name="family_portal_municipalities",
        help_text=_(
            "Staff members who work for this municipality in the admin: its agents (with the "
            "agents' group) see its families; its editors edit its site's e-mail texts and "
            "settings."
        ),
    )

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def postal_address(self) -> str:
        lines = [self.address_line1, self.address_line2, f"{self.postcode} {self.city}".strip()]
        return "\n".join(line for line in lines if line)

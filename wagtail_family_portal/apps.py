from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyPortalConfig(AppConfig):
    name = "wagtail_family_portal"
    label = "wagtail_family_portal"
    verbose_name = _("Family portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            signals,  # noqa: F401  (the digest schedules follow the settings)
        )
        from .models import FamilyPortalPage
        from .views.routes import urlpatterns

        # The page's routes live with the views (views/routes.py); the model imports none.
        FamilyPortalPage.routes = tuple(urlpatterns)

"""``manage.py load_family_portal_demo``: the demo data of CONTRACT.md, safe to load again."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ... import demo

BASE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the demo municipality, its families, activities, closures and portal page. "
        "Running it again updates the same rows and resets the demo passwords."
    )

    def handle(self, *args, **options):
        loaded = demo.load_demo()
        for warning in loaded.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo data loaded for %(municipality)s, school year %(start)d-%(end)d.")
                % {
                    "municipality": loaded.municipality,
                    "start": loaded.school_year,
                    "end": loaded.school_year + 1,
                }
            )
        )
        lines = [
            (_("Family portal"), f"{BASE_URL}{loaded.portal_page.get_url_parts()[2]}"),
            (_("Admin"), f"{BASE_URL}/admin/"),
            (_("Superuser"), f"{demo.ADMIN_USERNAME} / {demo.ADMIN_PASSWORD}"),
            (_("Agent"), f"{demo.AGENT_USERNAME} / {demo.AGENT_PASSWORD}"),
            (_("Family account"), f"{demo.PARENT_EMAIL} / {demo.PARENT_PASSWORD}"),
            (_("Subscriber code of a family without account"), demo.DURAND_CODE),
        ]
        width = max(len(label) for label, _value in lines)
        for label, value in lines:
            self.stdout.write(f"  {label.ljust(width)}  {value}")

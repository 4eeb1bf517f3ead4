"""``manage.py load_family_portal_demo``: the demo data of CONTRACT.md, safe to load again.

It creates accounts with well-known passwords (``admin`` / ``admin``…), so it refuses to run
unless ``DEBUG`` is on (``make demo`` turns it on) or ``--i-know-this-is-not-production`` is
given; and it never changes an account it did not create (see ``demo.py``).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from ... import demo


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the demo municipality, its families, activities, closures and portal page. "
        "Running it again updates the same rows and resets the passwords of the accounts it "
        "created. Refused unless DEBUG is on or --i-know-this-is-not-production is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help=gettext_lazy(
                "Load the demo although DEBUG is off. Its accounts have well-known passwords: "
                "never on a site families use."
            ),
        )
        parser.add_argument(
            "--hostname",
            default=demo.DEMO_HOSTNAME,
            help=gettext_lazy("Hostname the demo site is served at (default: %(default)s)."),
        )
        parser.add_argument(
            "--port",
            type=int,
            default=demo.DEMO_PORT,
            help=gettext_lazy("Port the demo site is served at (default: %(default)s)."),
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                _(
                    "The demo creates accounts with well-known passwords (admin / admin): it is "
                    "only loaded with DEBUG on. On a server that is not in production, run it "
                    "again with --i-know-this-is-not-production."
                )
            )
        if not 0 < options["port"] < 65536:
            raise CommandError(_("The port must be between 1 and 65535."))
        loaded = demo.load_demo(hostname=options["hostname"], port=options["port"])
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
        base_url = loaded.site.root_url
        unchanged = _("(existing account, password unchanged)")

        def login(username, password):
            if username in loaded.foreign_accounts:
                return f"{username} {unchanged}"
            return f"{username} / {password}"

        lines = [
            (_("Family portal"), f"{base_url}{loaded.portal_page.get_url_parts()[2]}"),
            (pgettext("family portal", "Admin"), f"{base_url}/admin/"),
            (_("Superuser"), login(demo.ADMIN_USERNAME, demo.ADMIN_PASSWORD)),
            (_("Agent"), login(demo.AGENT_USERNAME, demo.AGENT_PASSWORD)),
            (_("Family account"), login(demo.PARENT_EMAIL, demo.PARENT_PASSWORD)),
            (_("Subscriber code of a family without account"), demo.DURAND_CODE),
        ]
        width = max(len(label) for label, _value in lines)
        for label, value in lines:
            self.stdout.write(f"  {label.ljust(width)}  {value}")

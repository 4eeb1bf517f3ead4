"""``manage.py import_family_portal_closures``: public and school holidays as closures."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import Municipality
from ...services.closures import (
    ClosureImportError,
    current_school_year,
    format_school_year,
    import_closures,
    parse_school_year,
)


def find_municipality(value: str) -> Municipality:
    """A municipality by id or by name (case-insensitive)."""
    value = (value or "").strip()
    if value.isdigit():
        found = Municipality.objects.filter(pk=int(value))
    else:
        found = Municipality.objects.filter(name__iexact=value)
    matches = list(found[:2])
    if not matches:
        raise CommandError(_("No municipality “%(value)s”.") % {"value": value})
    if len(matches) > 1:
        raise CommandError(
            _("Several municipalities are named “%(value)s”: give its id.") % {"value": value}
        )
    return matches[0]


class Command(BaseCommand):
    help = gettext_lazy(
        "Import the French public holidays and the school holidays of a zone as closures of a "
        "municipality, for one school year. Running it again updates the same closures."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--municipality", required=True, help=gettext_lazy("Municipality id or name.")
        )
        parser.add_argument(
            "--zone",
            required=True,
            help=gettext_lazy("School holiday zone: A, B or C."),
        )
        parser.add_argument(
            "--school-year",
            help=gettext_lazy("School year such as 2026-2027 (default: the current one)."),
        )

    def handle(self, *args, **options):
        municipality = find_municipality(options["municipality"])
        try:
            school_year = (
                parse_school_year(options["school_year"])
                if options["school_year"]
                else current_school_year()
            )
            result = import_closures(municipality, school_year, options["zone"])
        except ClosureImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(municipality)s, %(school_year)s: %(created)d closure(s) created, "
                    "%(updated)d updated, %(unchanged)d unchanged."
                )
                % {
                    "municipality": municipality,
                    "school_year": format_school_year(school_year),
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                }
            )
        )

"""Delete the subscriber-code attempts older than their retention (one year by default)."""

from django.core.management.base import BaseCommand

from ...services.subscriptions import attempts_retention, purge_attempts


class Command(BaseCommand):
    help = (
        "Delete the log of subscriber codes tried (with their e-mail and IP addresses) older "
        "than WAGTAIL_FAMILY_PORTAL_SUBSCRIPTION_ATTEMPTS_RETENTION (one year by default). "
        "sync_family_portal_schedules also schedules it every night."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted, delete nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        count = purge_attempts(dry_run=dry_run)
        days = attempts_retention().days
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(
            self.style.SUCCESS(f"Subscriber code attempts older than {days} days: {count} {verb}.")
        )

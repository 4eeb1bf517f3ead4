"""Create or update the django-q2 schedules of the decision digests from the sites' settings,
the nightly purge of the subscriber-code attempts and the daily reminders of unpaid invoices."""

from django.core.management.base import BaseCommand

from ... import conf
from ...services.billing.reminders import sync_reminder_schedule
from ...services.notifications import sync_schedules
from ...services.subscriptions import sync_purge_schedule


class Command(BaseCommand):
    help = (
        "Create, update or delete the django-q2 schedules that send the decision digests, one "
        "per site and time of Settings → Family portal, and the nightly purge of old subscriber "
        "code attempts and the daily reminders of unpaid invoices. Safe to run again: it "
        "changes only what differs."
    )

    def handle(self, *args, **options):
        from django_q.conf import Conf

        result = sync_schedules()
        purge = sync_purge_schedule()
        reminders = sync_reminder_schedule()
        for label, names in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
            ("deleted", result.deleted),
        ):
            for name in names:
                self.stdout.write(f"{label}: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Digest schedules: {len(result.created)} created, {len(result.updated)} "
                f"updated, {len(result.unchanged)} unchanged, {len(result.deleted)} deleted."
            )
        )
        for label, names in (
            ("created", purge.created),
            ("updated", purge.updated),
            ("unchanged", purge.unchanged),
        ):
            for name in names:
                self.stdout.write(self.style.SUCCESS(f"Purge of old attempts: {label}: {name}"))
        for label, names in (
            ("created", reminders.created),
            ("updated", reminders.updated),
            ("unchanged", reminders.unchanged),
        ):
            for name in names:
                self.stdout.write(self.style.SUCCESS(f"Payment reminders: {label}: {name}"))
        if str(Conf.TIME_ZONE) != str(conf.time_zone()):
            self.stdout.write(
                self.style.WARNING(
                    f"The django-q2 cluster counts days in {Conf.TIME_ZONE}, the digests' times "
                    f"are in {conf.time_zone()}: each run sets the next one again, but a run "
                    "may come an hour early or late on the day the clocks change."
                )
            )

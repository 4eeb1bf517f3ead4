"""Move the children's photos uploaded before the private storage (migration 0006) into it."""

from django.core.management.base import BaseCommand

from ...services.photos import move_public_photos


class Command(BaseCommand):
    help = (
        "Move the children's photos still in the public media storage (uploaded before the "
        "portal kept them in its private storage) into the private storage, and delete the "
        "public copies. Safe to run again. --dry-run lists what would move."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would move, change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        result = move_public_photos(dry_run=dry_run)
        moved_label = "would move" if dry_run else "moved"
        for child_id, name in result.moved:
            self.stdout.write(f"{moved_label}: child {child_id}: {name}")
        for child_id, name in result.missing:
            self.stdout.write(
                self.style.WARNING(f"missing: child {child_id}: {name} (in neither storage)")
            )
        summary = (
            f"Children's photos: {len(result.moved)} {moved_label}, "
            f"{len(result.already_private)} already private, {len(result.missing)} missing."
        )
        if dry_run:
            summary += " Dry run: nothing was changed."
        self.stdout.write(self.style.SUCCESS(summary))

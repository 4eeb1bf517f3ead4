"""Requests get a type and their history who wrote each step; per-account read marks; the
outbox of decisions and the digest e-mails; richer e-mail templates with ``{{ name }}``
placeholders; the accounts' choice of decision e-mails and the sites' digest times."""

import re

import django.db.models.deletion
import django.utils.timezone
import wagtail_family_portal.validators
from django.conf import settings
from django.db import migrations, models


FILE_TOPICS = {
    "family": "family",
    "guardian": "guardian",
    "child": "child",
    "health": "health",
    "contact": "contact",
}
ADDITION_TOPICS = {"guardian": "new_guardian", "child": "new_child", "contact": "contact"}
TEXT_FIELDS = ("subject", "intro", "button_label")


def fill_topics_and_actors(apps, schema_editor):
    Request = apps.get_model("wagtail_family_portal", "Request")
    RequestEvent = apps.get_model("wagtail_family_portal", "RequestEvent")
    FileChange = apps.get_model("wagtail_family_portal", "FileChange")
    Request.objects.filter(kind="booking").update(topic="booking")
    Request.objects.filter(kind="absence").update(topic="absence")
    first_change = {}
    for change in FileChange.objects.order_by("pk"):
        first_change.setdefault(change.request_id, change)
    for request in Request.objects.filter(kind="file_change"):
        change = first_change.get(request.pk)
        if change is None:
            topic = "family"
        elif change.operation == "add":
            topic = ADDITION_TOPICS.get(change.target_type, "family")
        else:
            topic = FILE_TOPICS.get(change.target_type, "family")
        Request.objects.filter(pk=request.pk).update(topic=topic)
    RequestEvent.objects.filter(user__isnull=True).update(actor="system")
    RequestEvent.objects.filter(user__isnull=False, action__in=["submitted", "withdrawn"]).update(
        actor="family"
    )
    RequestEvent.objects.filter(user__isnull=False, action__in=["accepted", "refused"]).update(
        actor="agent"
    )


def _convert(apps, pattern, replacement):
    EmailTemplate = apps.get_model("wagtail_family_portal", "EmailTemplate")
    for template in EmailTemplate.objects.all():
        for name in TEXT_FIELDS:
            setattr(template, name, re.sub(pattern, replacement, getattr(template, name)))
        template.save()


def double_brace_placeholders(apps, schema_editor):
    """``{first_name}`` → ``{{ first_name }}``: the placeholders' new syntax."""
    _convert(apps, r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})", r"{{ \1 }}")


def single_brace_placeholders(apps, schema_editor):
    _convert(apps, r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", r"{\1}")


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0012_agents_booking_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="emailtemplate", old_name="body", new_name="intro"),
        migrations.AddField(
            model_name="accountprofile",
            name="decision_emails",
            field=models.CharField(
                choices=[("digest", "a summary at set times of the day"), ("none", "no e-mail")],
                default="digest",
                help_text="Receipts of requests are always sent.",
                max_length=10,
                verbose_name="e-mails about decisions",
            ),
        ),
        migrations.AddField(
            model_name="emailtemplate",
            name="common_text",
            field=models.TextField(
                blank=True,
                help_text="Added after the table of every e-mail of this kind (the adjustable zone).",
                verbose_name="common text",
            ),
        ),
        migrations.AddField(
            model_name="emailtemplate",
            name="footer",
            field=models.TextField(
                blank=True,
                help_text="Empty: the footer of Settings → Family portal.",
                verbose_name="footer",
            ),
        ),
        migrations.AlterField(
            model_name="emailtemplate",
            name="intro",
            field=models.TextField(
                blank=True,
                help_text="Leave a blank line between paragraphs.",
                verbose_name="introduction",
            ),
        ),
        migrations.AddField(
            model_name="emailtemplate",
            name="signature",
            field=models.TextField(
                blank=True,
                help_text="Empty: the signature of Settings → Family portal.",
                verbose_name="signature",
            ),
        ),
        migrations.AddField(
            model_name="familyportalsettings",
            name="digest_times",
            field=models.CharField(
                default="13:00, 18:00",
                help_text="Decisions are gathered and mailed to families at these times (Paris time), separated by commas, e.g. 13:00, 18:00. Each e-mail covers the decisions made since the previous time.",
                max_length=200,
                validators=[wagtail_family_portal.validators.validate_digest_times],
                verbose_name="times of the decision e-mails",
            ),
        ),
        migrations.AddField(
            model_name="request",
            name="topic",
            field=models.CharField(
                choices=[
                    ("booking", "Booking request"),
                    ("absence", "Absence notice"),
                    ("family", "Change of the family"),
                    ("guardian", "Change of a guardian"),
                    ("child", "Change of a child"),
                    ("health", "Change of health information"),
                    ("contact", "Change of authorised contacts"),
                    ("new_guardian", "New guardian"),
                    ("new_child", "New child"),
                ],
                db_index=True,
                default="",
                max_length=20,
                verbose_name="type",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="requestevent",
            name="actor",
            field=models.CharField(
                choices=[
                    ("family", "the family"),
                    ("agent", "the service"),
                    ("system", "automatic"),
                ],
                default="system",
                max_length=10,
                verbose_name="who",
            ),
        ),
        migrations.AlterField(
            model_name="requestevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("submitted", "submitted"),
                    ("withdrawn", "withdrawn by the family"),
                    ("accepted", "accepted"),
                    ("refused", "refused"),
                    ("message", "message from the service"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.CreateModel(
            name="DecisionNotice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("decision", models.CharField(max_length=20, verbose_name="decision")),
                ("message", models.TextField(blank=True, verbose_name="message")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="decided at"
                    ),
                ),
                (
                    "slot",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="mailed in the digest of"
                    ),
                ),
                (
                    "family",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="wagtail_family_portal.family",
                        verbose_name="family",
                    ),
                ),
                (
                    "line",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="wagtail_family_portal.bookingline",
                        verbose_name="day",
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notices",
                        to="wagtail_family_portal.request",
                        verbose_name="request",
                    ),
                ),
            ],
            options={
                "verbose_name": "decision to mail",
                "verbose_name_plural": "decisions to mail",
                "indexes": [
                    models.Index(fields=["slot", "created_at"], name="wfp_notice_slot_idx"),
                    models.Index(fields=["family", "slot"], name="wfp_notice_family_slot_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="DigestDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slot", models.DateTimeField(verbose_name="digest of")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "to send"),
                            ("sent", "sent"),
                            ("failed", "failed"),
                            ("empty", "nothing to send"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                (
                    "attempts",
                    models.PositiveSmallIntegerField(default=0, verbose_name="failed attempts"),
                ),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                (
                    "claimed_until",
                    models.DateTimeField(
                        blank=True,
                        help_text="Other runs leave it alone until then; a failed one is tried again after.",
                        null=True,
                        verbose_name="taken by a run until",
                    ),
                ),
                (
                    "family",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="wagtail_family_portal.family",
                        verbose_name="family",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account",
                    ),
                ),
            ],
            options={
                "verbose_name": "digest e-mail",
                "verbose_name_plural": "digest e-mails",
                "indexes": [models.Index(fields=["state", "slot"], name="wfp_delivery_state_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("family", "slot", "user"), name="wfp_unique_digest_delivery"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RequestRead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "last_event_id",
                    models.PositiveBigIntegerField(verbose_name="read up to the history entry"),
                ),
                (
                    "read_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="read at"),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reads",
                        to="wagtail_family_portal.request",
                        verbose_name="request",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account",
                    ),
                ),
            ],
            options={
                "verbose_name": "request read",
                "verbose_name_plural": "requests read",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("request", "user"), name="wfp_unique_request_read"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_topics_and_actors, migrations.RunPython.noop),
        migrations.RunPython(double_brace_placeholders, single_brace_placeholders),
    ]

"""Phone numbers become checked numbers (wagtail_family_portal.phones): the columns keep their
type, and every stored value that is a valid number (French without an international prefix)
is rewritten in the E.164 form; any other value is kept as it was typed."""

import wagtail_family_portal.fields
from django.db import migrations

PHONE_FIELDS = {
    "accountprofile": ["phone"],
    "authorisedcontact": ["phone"],
    "childhealth": ["doctor_phone"],
    "establishment": ["phone"],
    "guardian": ["mobile_phone", "home_phone", "work_phone"],
    "municipality": ["phone"],
}


def normalise_phones(apps, schema_editor):
    from wagtail_family_portal.phones import to_phone

    for model_name, names in PHONE_FIELDS.items():
        model = apps.get_model("wagtail_family_portal", model_name)
        for name in names:
            rows = model.objects.exclude(**{name: ""}).values_list("pk", name).iterator()
            for pk, stored in rows:
                number = to_phone(getattr(stored, "raw_input", stored))
                if number.is_valid() and number.as_e164 != number.raw_input:
                    model.objects.filter(pk=pk).update(**{name: number.as_e164})


class Migration(migrations.Migration):

    dependencies = [
        ('wagtail_family_portal', '0017_account_profiles_for_every_account'),
    ]

    operations = [
        migrations.AlterField(
            model_name='accountprofile',
            name='phone',
            field=wagtail_family_portal.fields.PhoneField(blank=True, max_length=30, region='FR', verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='authorisedcontact',
            name='phone',
            field=wagtail_family_portal.fields.PhoneField(max_length=30, region='FR', verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='childhealth',
            name='doctor_phone',
            field=wagtail_family_portal.fields.PhoneField(blank=True, max_length=30, region='FR', verbose_name="doctor's phone"),
        ),
        migrations.AlterField(
            model_name='establishment',
            name='phone',
            field=wagtail_family_portal.fields.PhoneField(blank=True, max_length=30, region='FR', verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='guardian',
            name='home_phone',
            field=wagtail_family_portal.fields.PhoneField(blank=True, max_length=30, region='FR', verbose_name='home phone'),
        ),
        migrations.AlterField(
            model_name='guardian',
            name='mobile_phone',
            field=wagtail_family_portal.fields.PhoneField(blank=True, max_length=30, region='FR', verbose_name='mobile phone'),
        ),
        migrations.AlterField(
            model_name='guardian',
            name='work_phone',
            field=wagtail_family_portal.fields.PhoneField(blank=True, max_length=30, region='FR', verbose_name='work phone'),
        ),
        migrations.AlterField(
            model_name='municipality',
            name='phone',
            field=wagtail_family_portal.fields.PhoneField(blank=True, max_length=30, region='FR', verbose_name='phone'),
        ),
        migrations.RunPython(normalise_phones, migrations.RunPython.noop, elidable=True),
    ]

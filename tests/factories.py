"""factory-boy factories for the domain models. Build a whole family with ``ChildFactory``."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from wagtail_family_portal import models

SEASON_START = dt.date(2026, 9, 1)
SEASON_END = dt.date(2027, 7, 3)
# The moment the ``fixed_now`` fixture stops the portal's clock at: Thursday 3 December 2026, 09:00.
NOW = dt.datetime(2026, 12, 3, 9, 0)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.org")
    email = factory.LazyAttribute(lambda o: o.username if "@" in o.username else "")
    first_name = "Camille"
    last_name = "Martin"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Municipality

    name = factory.Sequence(lambda n: f"Ville {n}")
    city = factory.LazyAttribute(lambda o: o.name)
    postcode = "44000"
    phone = "02 02 02 02 02"
    contact_email = "enfance@example.org"
    sender_email = "ne-pas-repondre@example.org"


class AgentFactory(UserFactory):
    """A staff user assigned to ``municipality`` (pass it), with the agents' group permissions."""

    is_staff = True

    @factory.post_generation
    def municipality(obj, create, extracted, **kwargs):
        if create and extracted:
            extracted.agents.add(obj)

    @factory.post_generation
    def agents_group(obj, create, extracted, **kwargs):
        from django.contrib.auth.models import Group

        from wagtail_family_portal.permissions import AGENTS_GROUP_NAME

        if create:
            group, _ = Group.objects.get_or_create(name=AGENTS_GROUP_NAME)
            obj.groups.add(group)


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Establishment

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"École Jules Ferry {n}")
    kind = models.Establishment.Kind.SCHOOL


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Activity

    establishment = factory.SubFactory(EstablishmentFactory)
    name = "Repas école"
    short_code = factory.Sequence(lambda n: f"{n}/REPAS")
    kind = models.Activity.Kind.CANTEEN
    start_time = dt.time(11, 45)
    end_time = dt.time(13, 30)
    weekdays = [0, 1, 3, 4]
    season_start = SEASON_START
    season_end = SEASON_END


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Family

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"Famille {n}")
    address_line1 = "3 rue des Lilas"
    postcode = "44000"
    city = "Nantes"


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Guardian

    family = factory.SubFactory(FamilyFactory)
    civility = models.Guardian.Civility.MRS
    last_name = factory.LazyAttribute(lambda o: o.family.name)
    first_name = "Claire"
    email = "claire@example.org"
    mobile_phone = "06 12 34 56 78"
    relation = models.Guardian.Relation.MOTHER


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Iterator(["Léa", "Hugo", "Jade", "Louis"])
    last_name = factory.LazyAttribute(lambda o: o.family.name)
    birth_date = dt.date(2018, 5, 14)
    sex = models.Child.Sex.FEMALE


class ChildHealthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ChildHealth

    child = factory.SubFactory(ChildFactory)
    allergies = "arachide"


class AuthorisedContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.AuthorisedContact

    child = factory.SubFactory(ChildFactory)
    last_name = "Durand"
    first_name = "Michel"
    phone = "06 98 76 54 32"
    relation = "grand-père"


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Enrolment

    child = factory.SubFactory(ChildFactory)
    activity = factory.SubFactory(
        ActivityFactory,
        establishment__municipality=factory.SelfAttribute("...child.family.municipality"),
    )
    start_date = SEASON_START
    end_date = SEASON_END


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Closure

    municipality = factory.SubFactory(MunicipalityFactory)
    label = "Vacances de Noël"
    kind = models.Closure.Kind.SCHOOL_HOLIDAY
    start_date = dt.date(2026, 12, 19)
    end_date = dt.date(2027, 1, 3)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Subscription

    user = factory.SubFactory(UserFactory)
    family = factory.SubFactory(FamilyFactory)


def enrol(child, activity, start=None, end=None):
    """Enrol ``child`` in ``activity`` from ``start`` to ``end`` (by default its whole season)."""
    return EnrolmentFactory(
        child=child,
        activity=activity,
        start_date=start or activity.season_start,
        end_date=end or activity.season_end,
    )


def grant(user, *codenames):
    """Give ``user`` the package's permissions ``codenames`` directly (not through a group)."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="wagtail_family_portal", codename__in=codenames
        )
    )


def agent_with_only(municipality, username, *codenames):
    """An agent of ``municipality`` outside the agents' group: admin access and ``codenames``."""
    from django.contrib.auth.models import Permission

    user = AgentFactory(username=username, municipality=municipality)
    user.groups.clear()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    grant(user, *codenames)
    return user


def book(family, child, activity, dates, user=None, operation="booking", **options):
    """Ask ``dates`` for ``child`` through the booking service, as of ``NOW`` (``user`` None:
    the rules decide, as for an automatic booking; ``options`` such as ``confirm_skipped``)."""
    from wagtail_family_portal.services import bookings

    return bookings.request_days(
        family=family,
        child_id=child.pk,
        activity_id=activity.pk,
        operation=operation,
        dates=dates,
        user=user,
        now=NOW,
        **options,
    )


class BillingOfficeFactory(factory.django.DjangoModelFactory):
    """A régie of ``municipality`` (pass it), with the dummy online-payment backend and the
    SEPA creditor details of a test bank."""

    class Meta:
        model = models.BillingOffice

    municipality = factory.SubFactory(MunicipalityFactory)
    name = "Régie enfance"
    code = factory.Sequence(lambda n: f"ENF{n}")
    address = "Hôtel de ville\n1 place de la Mairie\n44000 Belleville-sur-Loire"
    email = "regie@example.org"
    payment_backend = models.BillingOffice.PaymentBackend.DUMMY
    creditor_name = "Régie enfance de Belleville"
    creditor_identifier = "FR12ZZZ123456"
    creditor_iban = "FR7630006000011234567890189"
    creditor_bic = "AGRIFRPP"


def issued_invoice(office, family, lines, *, issue_date=None, due_date=None, period=None):
    """An issued invoice of ``office`` to ``family``, numbered like the run's issue numbers
    them, without a run: ``lines`` are ``(child, activity, quantity, unit_price)``. For the
    tests of what comes after the issue (payments, PDFs, pages, API)."""
    from decimal import Decimal

    from django.db import transaction

    from wagtail_family_portal.models.billing import money
    from wagtail_family_portal.services.billing import numbering

    issue_date = issue_date or dt.date(2026, 12, 1)
    start, end = period or (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    with transaction.atomic():
        (sequence,) = numbering.take_numbers(office, "invoice", issue_date.year, 1)
        invoice = models.Invoice.objects.create(
            billing_office=office,
            family=family,
            state=models.Invoice.State.ISSUED,
            number=numbering.format_number("invoice", issue_date.year, sequence),
            year=issue_date.year,
            sequence=sequence,
            period_start=start,
            period_end=end,
            issue_date=issue_date,
            due_date=due_date or issue_date + dt.timedelta(days=office.payment_terms_days),
            family_name=family.name,
            addressee=f"Famille {family.name}",
            address=family.postal_address,
            family_quotient=family.family_quotient,
            quotient_year=family.quotient_year,
        )
        total = Decimal("0.00")
        for position, (child, activity, quantity, unit_price) in enumerate(lines):
            amount = money(Decimal(quantity) * Decimal(unit_price))
            total += amount
            models.InvoiceLine.objects.create(
                invoice=invoice,
                child=child,
                activity=activity,
                kind=models.InvoiceLine.Kind.BOOKED,
                child_name=f"{child.first_name} {child.last_name}",
                activity_name=activity.name,
                period_start=start,
                period_end=end,
                quantity=Decimal(quantity),
                unit_price=Decimal(unit_price),
                amount=amount,
                basis="QF 620 → tranche 2",
                position=position,
            )
        invoice.total = total
        models.Invoice.objects.filter(pk=invoice.pk).update(total=total)
    return invoice

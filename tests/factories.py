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

"""Demo data: a French municipality with its families, activities and portal page.

Used by ``manage.py load_family_portal_demo``. Every function looks rows up by a natural key and
updates them, so loading the demo again gives the same rows and resets the documented passwords
(see "Demo data" in CONTRACT.md). The content is French: it is what a municipality would type.

The demo only ever changes the accounts it created itself, which it records in the group
``DEMO_ACCOUNTS_GROUP``: an ``admin`` (or ``agent``, or ``parent@example.org``) that existed
before keeps its password, permissions and data, and is reported in ``Demo.warnings``. It mails
nobody: no receipt is queued and the decisions it makes are marked as already reported.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.models import Page, Site

from . import clock
from .demo_billing import load_billing
from .models import (
    AccountProfile,
    Activity,
    AuthorisedContact,
    Child,
    ChildDay,
    ChildHealth,
    Closure,
    Enrolment,
    Establishment,
    Family,
    FamilyPortalPage,
    FamilyPortalSettings,
    Guardian,
    Municipality,
    Subscription,
)
from .models.families import normalise_subscriber_code
from .models.notifications import DecisionNotice
from .permissions import AGENTS_GROUP_NAME
from .services.closures import ClosureImportError, current_school_year, import_closures
from .sites import is_local_hostname

ADMIN_USERNAME = ADMIN_PASSWORD = "admin"
AGENT_USERNAME = AGENT_PASSWORD = "agent"
PARENT_EMAIL = "parent@example.org"
PARENT_PASSWORD = "demo-parent-2026"
MARTIN_CODE = "DEMO-MARTIN-2026"
DURAND_CODE = "DEMO-DURAND-2026"
PORTAL_SLUG = "espace-famille"
PORTAL_TITLE = "Espace famille"
MUNICIPALITY_NAME = "Belleville-sur-Loire"
OTHER_MUNICIPALITY_NAME = "Autreville"
SCHOOL_HOLIDAY_ZONE = "B"
# The address ``make demo`` serves (``make demo PORT=8001`` changes the port).
DEMO_HOSTNAME = "127.0.0.1"
DEMO_PORT = 8000
# Members of this group are the accounts the demo created: the only ones it may change.
DEMO_ACCOUNTS_GROUP = "Family portal demo accounts"


@dataclass
class Demo:
    """What was loaded, for the command's summary and the tests."""

    municipality: Municipality
    other_municipality: Municipality
    portal_page: FamilyPortalPage
    school_year: int
    site: Site | None = None
    warnings: list[str] = field(default_factory=list)
    # Usernames of the documented accounts that existed before the demo and were left alone.
    foreign_accounts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Season:
    start: dt.date
    end: dt.date

    @classmethod
    def for_school_year(cls, school_year: int) -> "Season":
        """From 1 September to the first Saturday of July, when the summer holidays begin."""
        july = dt.date(school_year + 1, 7, 1)
        return cls(dt.date(school_year, 9, 1), july + dt.timedelta(days=(5 - july.weekday()) % 7))


def load_demo(
    today: dt.date | None = None, *, hostname: str = DEMO_HOSTNAME, port: int = DEMO_PORT
) -> Demo:
    """Load (or update) the demo; its site is served at ``hostname``:``port``."""
    today = today or clock.today()
    school_year = current_school_year(today)
    season = Season.for_school_year(school_year)
    warnings = []
    foreign = []
    with transaction.atomic():
        site = demo_site(hostname, port, warnings)
        municipality = demo_municipality(site)
        other = other_municipality()
        activities = demo_activities(municipality, season)
        warnings += demo_closures(municipality, school_year, season, activities["ALSH MERCREDI"])

        admin = ensure_superuser()
        agent = ensure_agent(municipality, others=[other])
        parent = ensure_parent(municipality)
        for username, user in (
            (ADMIN_USERNAME, admin),
            (AGENT_USERNAME, agent),
            (PARENT_EMAIL, parent),
        ):
            if user is None:
                foreign.append(username)
                warnings.append(
                    gettext(
                        "The account “%(username)s” existed before the demo: it was left as it "
                        "is (its password was not changed)."
                    )
                    % {"username": username}
                )

        martin = martin_family(municipality, activities, season)
        if parent is not None:
            Subscription.objects.get_or_create(user=parent, family=martin)
        durand = durand_family(municipality, activities, season)
        others = other_families(municipality, activities, season)
        autreville_family(other, season)
        demo_bookings(martin, others, activities, parent, agent, today)
        load_billing(municipality, activities, season, martin, durand, others, agent, today)

        portal_settings(site)
        page = portal_page(site)
    return Demo(municipality, other, page, school_year, site, warnings, foreign)


# Site, municipalities and users


def demo_site(hostname: str, port: int, warnings: list[str]) -> Site:
    """The default site, served at ``hostname``:``port`` so that the e-mails' links work.

    Wagtail's placeholder (``localhost`` on port 80) or a site the demo pointed at a local
    address before is moved to the demo's address; a site with a real hostname is left alone.
    """
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        home = Page.get_first_root_node().add_child(instance=Page(title="Accueil", slug="accueil"))
        return Site.objects.create(
            hostname=hostname, port=port, root_page=home, is_default_site=True, site_name="Demo"
        )
    if (site.hostname, site.port) == (hostname, port):
        return site
    if not is_local_hostname(site.hostname):
        warnings.append(
            gettext(
                "The default site is served at %(address)s: it was left as it is, and the "
                "demo's links use that address."
            )
            % {"address": site.root_url}
        )
        return site
    if Site.objects.filter(hostname=hostname, port=port).exclude(pk=site.pk).exists():
        warnings.append(
            gettext(
                "Another site already uses %(hostname)s:%(port)d: the default site was left "
                "as it is."
            )
            % {"hostname": hostname, "port": port}
        )
        return site
    site.hostname, site.port = hostname, port
    site.save(update_fields=["hostname", "port"])
    return site


def demo_municipality(site: Site) -> Municipality:
    municipality, _ = Municipality.objects.update_or_create(
        name=MUNICIPALITY_NAME,
        defaults={
            "site": site,
            "address_line1": "Mairie — 1 place de l'Hôtel de Ville",
            "address_line2": "Service Enfance et Jeunesse",
            "postcode": "18240",
            "city": "Belleville-sur-Loire",
            "phone": "02 48 72 41 00",
            "contact_email": "enfance@belleville-sur-loire.example",
            "sender_email": "ne-pas-repondre@belleville-sur-loire.example",
            "website": "https://www.belleville-sur-loire.example/",
        },
    )
    return municipality


def other_municipality() -> Municipality:
    """A second municipality without a site, whose data the demo agent must not see."""
    municipality, _ = Municipality.objects.update_or_create(
        name=OTHER_MUNICIPALITY_NAME,
        defaults={
            "site": None,
            "address_line1": "2 rue de la Mairie",
            "postcode": "88300",
            "city": "Autreville",
            "phone": "03 29 94 12 00",
            "contact_email": "mairie@autreville.example",
            "sender_email": "ne-pas-repondre@autreville.example",
            "website": "https://www.autreville.example/",
        },
    )
    return municipality


def demo_accounts_group() -> Group:
    group, _created = Group.objects.get_or_create(name=DEMO_ACCOUNTS_GROUP)
    return group


def user_with_password(username: str, password: str, **fields):
    """The demo's account ``username`` with its documented password, or None when an account of
    that name exists that the demo did not create (it is not touched)."""
    User = get_user_model()
    group = demo_accounts_group()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username)
    elif not user.groups.filter(pk=group.pk).exists():
        return None
    for name, value in fields.items():
        setattr(user, name, value)
    user.set_password(password)
    user.save()
    user.groups.add(group)
    return user


def ensure_superuser():
    return user_with_password(
        ADMIN_USERNAME,
        ADMIN_PASSWORD,
        email="admin@example.org",
        first_name="Alice",
        last_name="Administratrice",
        is_staff=True,
        is_superuser=True,
        is_active=True,
    )


def ensure_agent(municipality: Municipality, others: list[Municipality]):
    agent = user_with_password(
        AGENT_USERNAME,
        AGENT_PASSWORD,
        email="agent@example.org",
        first_name="Bruno",
        last_name="Lambert",
        is_staff=True,
        is_superuser=False,
        is_active=True,
    )
    if agent is None:
        return None
    group, _created = Group.objects.get_or_create(name=AGENTS_GROUP_NAME)
    # The agents' group migration grants the real permissions; admin access is the least the
    # demo agent needs to log in, even before that migration exists.
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    agent.groups.add(group)
    # The demo agent works with the children's health information (PAI, allergies): that
    # permission is granted person by person, never through the group.
    agent.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtail_family_portal", codename="view_childhealth"
        )
    )
    municipality.agents.add(agent)
    for other in others:
        other.agents.remove(agent)
    return agent


def ensure_parent(municipality):
    parent = user_with_password(
        PARENT_EMAIL,
        PARENT_PASSWORD,
        email=PARENT_EMAIL,
        first_name="Claire",
        last_name="Martin",
        is_staff=False,
        is_superuser=False,
        is_active=True,
    )
    if parent is None:
        return None
    profile, _created = AccountProfile.objects.get_or_create(user=parent)
    profile.terms_accepted_at = profile.terms_accepted_at or timezone.now()
    profile.civility, profile.phone = Guardian.Civility.MRS, "06 12 34 56 78"
    profile.municipality = municipality
    profile.activated_at = profile.activated_at or timezone.now()
    profile.pending_family = None
    profile.save()
    return parent


# Calendar: establishments, activities, closures


def establishment(municipality, name, kind, address, phone) -> Establishment:
    obj, _ = Establishment.objects.update_or_create(
        municipality=municipality,
        name=name,
        defaults={"kind": kind, "address": address, "phone": phone},
    )
    return obj


def activity(place: Establishment, short_code: str, season: Season, **fields) -> Activity:
    obj, _ = Activity.objects.update_or_create(
        establishment=place,
        short_code=short_code,
        defaults={"season_start": season.start, "season_end": season.end, **fields},
    )
    return obj


def demo_activities(municipality: Municipality, season: Season) -> dict[str, Activity]:
    """Two schools with canteen and before/after-school care, and a Wednesday leisure centre."""
    elementary = establishment(
        municipality,
        "École élémentaire Jules Ferry",
        Establishment.Kind.SCHOOL,
        "12 rue des Écoles, 18240 Belleville-sur-Loire",
        "02 48 72 41 10",
    )
    nursery_school = establishment(
        municipality,
        "École maternelle Les Coquelicots",
        Establishment.Kind.SCHOOL,
        "5 allée des Tilleuls, 18240 Belleville-sur-Loire",
        "02 48 72 41 20",
    )
    centre = establishment(
        municipality,
        "Accueil de loisirs Les Écureuils",
        Establishment.Kind.LEISURE_CENTRE,
        "Chemin du Stade, 18240 Belleville-sur-Loire",
        "02 48 72 41 30",
    )
    school_days = [0, 1, 3, 4]
    activities = {}
    for number, school in ((1, elementary), (2, nursery_school)):
        activities[f"{number}/REPAS"] = activity(
            school,
            f"{number}/REPAS",
            season,
            name="Repas école",
            kind=Activity.Kind.CANTEEN,
            start_time=dt.time(11, 45),
            end_time=dt.time(13, 30),
            weekdays=school_days,
            booking_mode=Activity.BookingMode.AGENT,
            booking_deadline_days=2,
            absence_deadline_days=2,
            deadline_working_days=True,
        )
        activities[f"{number}/Péri MATIN"] = activity(
            school,
            f"{number}/Péri MATIN",
            season,
            name="Périscolaire matin",
            kind=Activity.Kind.SCHOOL_CARE,
            start_time=dt.time(7, 30),
            end_time=dt.time(8, 20),
            weekdays=school_days,
            booking_mode=Activity.BookingMode.AUTOMATIC,
            booking_deadline_days=1,
            booking_deadline_time=dt.time(18, 0),
            absence_deadline_days=1,
            absence_deadline_time=dt.time(18, 0),
        )
        activities[f"{number}/Péri SOIR"] = activity(
            school,
            f"{number}/Péri SOIR",
            season,
            name="Périscolaire soir",
            kind=Activity.Kind.SCHOOL_CARE,
            start_time=dt.time(16, 30),
            end_time=dt.time(18, 30),
            weekdays=school_days,
            booking_mode=Activity.BookingMode.AGENT,
        )
    activities["ALSH MERCREDI"] = activity(
        centre,
        "ALSH MERCREDI",
        season,
        name="Accueil de loisirs mercredi",
        kind=Activity.Kind.LEISURE_CENTRE,
        start_time=dt.time(7, 30),
        end_time=dt.time(18, 30),
        weekdays=[2],
        booking_mode=Activity.BookingMode.AUTOMATIC,
        capacity=24,
        waiting_list=True,
        booking_deadline_days=7,
        booking_deadline_time=dt.time(12, 0),
        absence_deadline_days=3,
        absence_deadline_time=dt.time(12, 0),
    )
    return activities


def demo_closures(
    municipality: Municipality, school_year: int, season: Season, centre: Activity
) -> list[str]:
    """The zone B holidays of the school year, and a training day of the leisure centre staff.

    Returns warnings: without school holiday data for the year, only public holidays are loaded.
    """
    warnings = []
    try:
        import_closures(municipality, school_year, SCHOOL_HOLIDAY_ZONE)
    except ClosureImportError as exc:
        warnings.append(str(exc))
        import_closures(
            municipality, school_year, SCHOOL_HOLIDAY_ZONE, include_school_holidays=False
        )
    training_day = first_weekday_of_month(season.end.year, 6, weekday=2)
    closure, _ = Closure.objects.update_or_create(
        municipality=municipality,
        kind=Closure.Kind.CLOSURE,
        label="Formation des animateurs : accueil de loisirs fermé",
        defaults={"start_date": training_day, "end_date": training_day},
    )
    closure.activities.set([centre])
    return warnings


def demo_bookings(martin: Family, others: list[Family], activities, parent, agent, today) -> None:
    """Booked days from two weeks ago to the weeks ahead, and one request waiting for an agent.

    The agent booked (as a town does when it takes over paper enrolments) Léa's canteen, with
    her PAI, Hugo's morning care and the other families' canteen from two weeks ago on: today's
    and the past days' attendance sheets list children whose presence an agent can mark at
    once. Léa's next Wednesdays at the leisure centre are booked too; Hugo has a canteen request
    for four days two weeks ahead, waiting in the agents' queue. Days already booked or asked
    are left as they are, so loading again changes nothing. Nothing is mailed: no receipt is
    queued, and the agent's decisions are marked as already reported (no digest takes them).
    """
    from .services import bookings

    children = {child.first_name: child for child in martin.children.all()}
    lea, hugo = children.get("Léa"), children.get("Hugo")
    if lea is None or hugo is None:
        return
    # child, activity, first day (from today), days, asked by the agent (else by the parent)
    wanted = [
        (martin, lea, activities["1/REPAS"], -14, 20, True),
        (martin, lea, activities["ALSH MERCREDI"], 1, 3, True),
        (martin, hugo, activities["2/Péri MATIN"], -14, 12, True),
        (martin, hugo, activities["2/REPAS"], 14, 4, False),
    ]
    for family in others:
        for child in family.children.all():
            for enrolment in child.enrolments.select_related("activity"):
                if enrolment.activity.kind == Activity.Kind.CANTEEN:
                    wanted.append((family, child, enrolment.activity, -14, 16, True))
    now = dt.datetime.combine(today, dt.time(8, 0))
    created = []
    for family, child, activity, offset, count, by_agent in wanted:
        if ChildDay.objects.filter(child=child, activity=activity).exists():
            continue  # loaded before: keep what is there
        # Near the end of the season, fall back on the first days still open.
        for first in dict.fromkeys((offset, 1)):
            start = max(today + dt.timedelta(days=first), activity.season_start)
            window = [start + dt.timedelta(days=n) for n in range(120)]
            ok, _skipped = bookings.preview_days(
                family=family,
                child_id=child.pk,
                activity_id=activity.pk,
                operation="booking",
                dates=window,
                by_agent=by_agent,
                now=now,
            )
            if ok:
                break
        if not ok:
            continue
        outcome = bookings.request_days(
            family=family,
            child_id=child.pk,
            activity_id=activity.pk,
            operation="booking",
            dates=ok[:count],
            user=agent if by_agent else parent,
            by_agent=by_agent,
            now=now,
            send_receipt=False,
        )
        created.append(outcome.request.pk)
    # The days the agent booked when loading the demo are its starting point, not news: they
    # are not mailed in the next digest.
    DecisionNotice.objects.filter(request_id__in=created, slot__isnull=True).update(
        slot=F("created_at")
    )


def first_weekday_of_month(year: int, month: int, weekday: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7)


# Families


def family(municipality: Municipality, code: str, name: str, **fields) -> Family:
    """A family found by its subscriber code, which the demo fixes so that it can be typed."""
    obj = Family.objects.filter(subscriber_key=normalise_subscriber_code(code)).first()
    if obj is None:
        obj = Family(subscriber_code=code)
    obj.municipality = municipality
    obj.name = name
    obj.city = municipality.city
    obj.postcode = municipality.postcode
    for key, value in fields.items():
        setattr(obj, key, value)
    obj.save()
    return obj


def guardian(family: Family, first_name: str, **fields) -> Guardian:
    obj, _ = Guardian.objects.update_or_create(
        family=family,
        first_name=first_name,
        defaults={"last_name": family.name, "same_address_as_family": True, **fields},
    )
    return obj


def child(
    family: Family,
    first_name: str,
    *,
    health: dict | None = None,
    contacts: list[dict] = (),
    enrolments: list[Activity] = (),
    season: Season,
    **fields,
) -> Child:
    obj, _ = Child.objects.update_or_create(
        family=family, first_name=first_name, defaults={"last_name": family.name, **fields}
    )
    ChildHealth.objects.update_or_create(child=obj, defaults=health or {})
    for contact in contacts:
        AuthorisedContact.objects.update_or_create(
            child=obj,
            first_name=contact["first_name"],
            last_name=contact["last_name"],
            defaults=contact,
        )
    for enrolled in enrolments:
        Enrolment.objects.update_or_create(
            child=obj,
            activity=enrolled,
            defaults={"start_date": season.start, "end_date": season.end},
        )
    return obj


GRANDMOTHER = {
    "first_name": "Monique",
    "last_name": "Martin",
    "phone": "06 45 12 78 90",
    "relation": "grand-mère",
    "may_pick_up": True,
}
NEIGHBOUR = {
    "first_name": "Karim",
    "last_name": "Benali",
    "phone": "06 71 23 45 67",
    "relation": "voisin",
    "may_pick_up": True,
}


def martin_family(municipality, activities, season) -> Family:
    """The family of the demo account: two children, five activities, an allergy with a PAI."""
    martin = family(
        municipality,
        MARTIN_CODE,
        "Martin",
        address_line1="8 rue des Vignes",
        family_quotient=Decimal("842.50"),
        quotient_year=season.start.year - 1,
        caf_number="1234567",
    )
    guardian(
        martin,
        "Claire",
        civility=Guardian.Civility.MRS,
        relation=Guardian.Relation.MOTHER,
        birth_date=dt.date(1986, 4, 9),
        email=PARENT_EMAIL,
        mobile_phone="06 12 34 56 78",
        work_phone="02 48 54 10 20",
        profession="Infirmière",
        employer="Centre hospitalier de Gien",
        iban="FR7630004008200001012345617",
        bic="BNPAFRPP",
        account_holder="Claire Martin",
    )
    guardian(
        martin,
        "Thomas",
        civility=Guardian.Civility.MR,
        relation=Guardian.Relation.FATHER,
        birth_date=dt.date(1984, 11, 23),
        email="thomas.martin@example.org",
        mobile_phone="06 98 76 54 32",
        profession="Technicien de maintenance",
        employer="Centrale nucléaire de Belleville",
        iban="FR7610278360500002012340168",
        bic="CMCIFR2A",
        account_holder="Thomas Martin",
    )
    elementary = activities["1/REPAS"].establishment
    nursery_school = activities["2/REPAS"].establishment
    child(
        martin,
        "Léa",
        season=season,
        birth_date=dt.date(2017, 6, 2),
        sex=Child.Sex.FEMALE,
        establishment=elementary,
        class_level=Child.ClassLevel.CM1,
        photo_rights=True,
        may_leave_alone=False,
        emergency_care_allowed=True,
        health={
            "allergies": "Arachides et fruits à coque (allergie sévère).",
            "has_care_plan": True,
            "care_plan_details": (
                "PAI alimentaire : trousse d'urgence avec stylo d'adrénaline au bureau de la "
                "direction et à la cantine. Paniers-repas fournis par la famille."
            ),
            "doctor_name": "Dr Sophie Bernard",
            "doctor_phone": "02 48 72 15 30",
            "vaccinations_up_to_date": True,
        },
        contacts=[GRANDMOTHER, NEIGHBOUR],
        enrolments=[activities["1/REPAS"], activities["1/Péri SOIR"], activities["ALSH MERCREDI"]],
    )
    child(
        martin,
        "Hugo",
        season=season,
        birth_date=dt.date(2021, 3, 12),
        sex=Child.Sex.MALE,
        establishment=nursery_school,
        class_level=Child.ClassLevel.GS,
        photo_rights=True,
        emergency_care_allowed=True,
        health={
            "diet": "Sans porc",
            "doctor_name": "Dr Sophie Bernard",
            "doctor_phone": "02 48 72 15 30",
            "vaccinations_up_to_date": True,
        },
        contacts=[GRANDMOTHER],
        enrolments=[
            activities["2/REPAS"],
            activities["2/Péri MATIN"],
            activities["ALSH MERCREDI"],
        ],
    )
    return martin


def durand_family(municipality, activities, season) -> Family:
    """Not linked to any account: the code on its paperwork is how a parent links it."""
    durand = family(
        municipality,
        DURAND_CODE,
        "Durand",
        address_line1="27 avenue de la Loire",
        family_quotient=Decimal("615.00"),
        quotient_year=season.start.year - 1,
        caf_number="7654321",
    )
    guardian(
        durand,
        "Julien",
        civility=Guardian.Civility.MR,
        relation=Guardian.Relation.FATHER,
        email="julien.durand@example.org",
        mobile_phone="06 33 44 55 66",
        iban="FR7630003012340005001234509",
        bic="SOGEFRPP",
        account_holder="Julien Durand",
    )
    child(
        durand,
        "Chloé",
        season=season,
        birth_date=dt.date(2018, 9, 30),
        sex=Child.Sex.FEMALE,
        establishment=activities["1/REPAS"].establishment,
        class_level=Child.ClassLevel.CE2,
        health={"vaccinations_up_to_date": True},
        contacts=[
            {
                "first_name": "Nadia",
                "last_name": "Durand",
                "phone": "06 77 88 99 00",
                "relation": "tante",
            }
        ],
        enrolments=[activities["1/REPAS"], activities["1/Péri SOIR"]],
    )
    return durand


OTHER_FAMILIES = [
    # code, name, guardian (first name, civility, relation, IBAN, BIC), children
    (
        "DEMO-PETIT-2026",
        "Petit",
        ("Sandrine", Guardian.Civility.MRS, Guardian.Relation.MOTHER),
        ("FR7617515900000800123456711", "CEPAFRPP"),
        [("Nathan", Child.Sex.MALE, dt.date(2019, 2, 17), Child.ClassLevel.CE1, "1")],
    ),
    (
        "DEMO-NGUYEN-2026",
        "Nguyen",
        ("Minh", Guardian.Civility.MR, Guardian.Relation.FATHER),
        ("FR7611315000010800112233426", "CEPAFRPP"),
        [
            ("Emma", Child.Sex.FEMALE, dt.date(2016, 8, 5), Child.ClassLevel.CM2, "1"),
            ("Lucas", Child.Sex.MALE, dt.date(2022, 1, 20), Child.ClassLevel.MS, "2"),
        ],
    ),
    (
        "DEMO-LEFEVRE-2026",
        "Lefèvre",
        ("Aurélie", Guardian.Civility.MRS, Guardian.Relation.LEGAL_GUARDIAN),
        ("FR4720041010120123456A02076", "PSSTFRPP"),
        [("Inès", Child.Sex.FEMALE, dt.date(2023, 5, 11), Child.ClassLevel.PS, "2")],
    ),
]


def other_families(municipality, activities, season) -> list[Family]:
    families = []
    for code, name, (first_name, civility, relation), (iban, bic), kids in OTHER_FAMILIES:
        obj = family(municipality, code, name, address_line1="Lotissement du Moulin")
        guardian(
            obj,
            first_name,
            civility=civility,
            relation=relation,
            email=f"{first_name.lower()}.{code.split('-')[1].lower()}@example.org",
            mobile_phone="06 10 20 30 40",
            iban=iban,
            bic=bic,
            account_holder=f"{first_name} {name}",
        )
        for first, sex, birth_date, level, school in kids:
            child(
                obj,
                first,
                season=season,
                birth_date=birth_date,
                sex=sex,
                class_level=level,
                establishment=activities[f"{school}/REPAS"].establishment,
                enrolments=[activities[f"{school}/REPAS"], activities["ALSH MERCREDI"]],
            )
        families.append(obj)
    return families


def autreville_family(municipality: Municipality, season: Season) -> Family:
    """Autreville's own school, canteen and family: data the demo agent must not see."""
    school = establishment(
        municipality,
        "École primaire du Centre",
        Establishment.Kind.SCHOOL,
        "1 place de l'Église, 88300 Autreville",
        "03 29 94 12 10",
    )
    canteen = activity(
        school,
        "CANTINE",
        season,
        name="Restauration scolaire",
        kind=Activity.Kind.CANTEEN,
        start_time=dt.time(12, 0),
        end_time=dt.time(13, 30),
        weekdays=[0, 1, 3, 4],
    )
    bernard = family(
        municipality, "DEMO-AUTREVILLE-2026", "Bernard", address_line1="4 rue du Lavoir"
    )
    guardian(
        bernard,
        "Nicolas",
        civility=Guardian.Civility.MR,
        relation=Guardian.Relation.FATHER,
        email="nicolas.bernard@example.org",
        mobile_phone="06 52 63 74 85",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        account_holder="Nicolas Bernard",
    )
    child(
        bernard,
        "Manon",
        season=season,
        birth_date=dt.date(2018, 12, 1),
        sex=Child.Sex.FEMALE,
        establishment=school,
        class_level=Child.ClassLevel.CE2,
        enrolments=[canteen],
    )
    return bernard


# CMS: settings and portal page


def portal_settings(site: Site) -> FamilyPortalSettings:
    settings = FamilyPortalSettings.for_site(site)
    settings.welcome_text = (
        "<p>Bienvenue sur l'espace famille de Belleville-sur-Loire. Réservez la cantine, "
        "le périscolaire et l'accueil de loisirs du mercredi, signalez une absence et suivez "
        "vos demandes en ligne.</p>"
    )
    settings.tax_data_help_text = (
        "<p>Votre quotient familial est calculé par le service Enfance à partir de votre "
        "attestation CAF ou de votre dernier avis d'imposition. Pour le mettre à jour, déposez "
        "ce document à l'accueil de la mairie ou envoyez-le à "
        "enfance@belleville-sur-loire.example.</p>"
    )
    settings.terms_text = (
        "<p>L'espace famille de la mairie de Belleville-sur-Loire permet de consulter et de "
        "mettre à jour votre dossier famille, de réserver les activités de vos enfants et de "
        "payer vos factures.</p><p>Les données saisies sont traitées par le service Enfance et "
        "Jeunesse pour l'inscription et la facturation des activités, et conservées le temps "
        "de la scolarité de vos enfants. Vous pouvez y accéder, les faire rectifier ou demander "
        "leur effacement auprès du service (enfance@belleville-sur-loire.example).</p><p>Votre "
        "code abonné est personnel : ne le communiquez qu'aux personnes autorisées à consulter "
        "le dossier de vos enfants.</p>"
    )
    settings.email_signature = (
        "Le service Enfance et Jeunesse de la mairie de Belleville-sur-Loire\n"
        "02 48 72 41 00, du lundi au vendredi de 8 h 30 à 12 h et de 13 h 30 à 17 h"
    )
    settings.email_footer = (
        "Ce message est envoyé automatiquement par l'espace famille, merci de ne pas y répondre."
    )
    settings.save()
    return settings


def portal_page(site: Site) -> FamilyPortalPage:
    """The portal page, a child of the site's home page so that it is served at /espace-famille/."""
    home = site.root_page.specific
    page = FamilyPortalPage.objects.child_of(home).filter(slug=PORTAL_SLUG).first()
    intro = (
        "<p>Connectez-vous avec l'adresse e-mail de votre compte. Première visite ? Créez votre "
        "compte puis reliez-le à votre dossier famille avec le code abonné indiqué sur vos "
        "factures.</p>"
    )
    if page is None:
        page = home.add_child(
            instance=FamilyPortalPage(title=PORTAL_TITLE, slug=PORTAL_SLUG, intro=intro)
        )
        page.save_revision().publish()
    elif not page.live or page.title != PORTAL_TITLE:
        page.title = PORTAL_TITLE
        page.save_revision().publish()
    return page

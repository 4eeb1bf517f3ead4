"""services.subscriptions: codes, links, the attempts log and the brute-force limits."""

import datetime as dt

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from wagtail_family_portal.models import Subscription, SubscriptionAttempt
from wagtail_family_portal.services import subscriptions

from . import factories

IP = "198.51.100.4"


def try_code(code, user, municipality, ip=IP, confirm=True):
    call = subscriptions.subscribe if confirm else subscriptions.find_family
    return call(code=code, user=user, municipality=municipality, ip_address=ip, channel="portal")


@pytest.fixture
def account(db):
    return factories.UserFactory(email="grand-mere@example.org")


@pytest.mark.parametrize(
    "typed", ["{code}", "{lower}", " {nodash} ", "{spaced}", "{code}-", "--{lower}"]
)
def test_codes_ignore_case_spaces_and_dashes(account, family, municipality, typed):
    code = family.subscriber_code
    typed = typed.format(
        code=code,
        lower=code.lower(),
        nodash=code.replace("-", ""),
        spaced=" ".join(code.replace("-", "")),
    )

    assert try_code(typed, account, municipality, confirm=False) == family


def test_subscribe_links_at_once_and_records_who_and_when(account, family, municipality):
    subscription = try_code(family.subscriber_code, account, municipality)

    assert subscription.family == family and subscription.created_by == account
    assert list(type(family).objects.for_account(account)) == [family]
    entry = ModelLogEntry.objects.get(action="wagtail_family_portal.subscription_linked")
    assert entry.object_id == str(family.pk) and entry.user == account
    attempt = SubscriptionAttempt.objects.get()
    assert (attempt.outcome, attempt.user, attempt.family, attempt.ip_address) == (
        "linked",
        account,
        family,
        IP,
    )


def test_a_family_may_have_several_accounts_and_an_account_several_families(
    account, family, municipality
):
    other_parent = factories.UserFactory()
    second_family = factories.FamilyFactory(municipality=municipality)

    try_code(family.subscriber_code, account, municipality)
    try_code(family.subscriber_code, other_parent, municipality)
    try_code(second_family.subscriber_code, account, municipality)

    assert Subscription.objects.filter(family=family).count() == 2
    assert Subscription.objects.filter(user=account).count() == 2


def test_an_unknown_code_and_another_towns_code_get_the_same_message(
    account, municipality, other_municipality
):
    elsewhere = factories.FamilyFactory(municipality=other_municipality)

    with pytest.raises(subscriptions.SubscriptionError) as unknown:
        try_code("ABCD-EFGH-2345", account, municipality)
    with pytest.raises(subscriptions.SubscriptionError) as other_town:
        try_code(elsewhere.subscriber_code, account, municipality)

    assert unknown.value.message == other_town.value.message
    assert unknown.value.code == other_town.value.code == "not_recognised"
    assert not Subscription.objects.exists()
    outcomes = list(SubscriptionAttempt.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["not_recognised", "other_municipality"]


def test_a_site_with_no_municipality_accepts_every_towns_codes(account, other_municipality):
    elsewhere = factories.FamilyFactory(municipality=other_municipality)

    assert try_code(elsewhere.subscriber_code, account, None).family == elsewhere


def test_already_linked(account, family, municipality):
    try_code(family.subscriber_code, account, municipality)

    with pytest.raises(subscriptions.SubscriptionError) as raised:
        try_code(family.subscriber_code, account, municipality)

    assert raised.value.code == "already_linked"
    assert Subscription.objects.count() == 1


def test_five_wrong_codes_per_account_then_blocked_even_with_the_right_code(
    account, family, municipality
):
    for n in range(5):
        with pytest.raises(subscriptions.SubscriptionError) as raised:
            try_code(f"WRONG-CODE-{n:04d}", account, municipality, ip=f"10.0.0.{n}")
        assert raised.value.code == "not_recognised"

    with pytest.raises(subscriptions.TooManyAttempts) as blocked:
        try_code(family.subscriber_code, account, municipality, ip="10.0.1.1")

    assert 59 * 60 < blocked.value.retry_after <= 3600
    assert "60 minutes" in blocked.value.message
    assert not Subscription.objects.exists()
    assert SubscriptionAttempt.objects.filter(outcome="blocked").count() == 1


def test_twenty_wrong_codes_per_ip_across_accounts(family, municipality):
    for n in range(20):
        with pytest.raises(subscriptions.SubscriptionError):
            try_code(f"WRONG-CODE-{n:04d}", factories.UserFactory(), municipality)

    with pytest.raises(subscriptions.TooManyAttempts):
        try_code(family.subscriber_code, factories.UserFactory(), municipality)
    # Another address is not concerned.
    assert try_code(family.subscriber_code, factories.UserFactory(), municipality, ip="10.9.9.9")


def test_anonymous_sign_up_codes_count_per_ip(family, municipality):
    for n in range(20):
        with pytest.raises(subscriptions.SubscriptionError):
            subscriptions.find_family(
                code=f"WRONG-{n}",
                user=None,
                municipality=municipality,
                ip_address=IP,
                channel="signup",
            )

    with pytest.raises(subscriptions.TooManyAttempts):
        subscriptions.find_family(
            code=family.subscriber_code,
            user=None,
            municipality=municipality,
            ip_address=IP,
            channel="signup",
        )


def test_the_limit_lifts_an_hour_after_the_oldest_wrong_code(account, family, municipality):
    for n in range(5):
        with pytest.raises(subscriptions.SubscriptionError):
            try_code(f"WRONG-CODE-{n:04d}", account, municipality)
    first = SubscriptionAttempt.objects.order_by("created_at").first()
    SubscriptionAttempt.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1, seconds=1)
    )

    assert try_code(family.subscriber_code, account, municipality).family == family


def test_right_codes_and_already_linked_do_not_count(account, family, municipality):
    try_code(family.subscriber_code, account, municipality)
    for _ in range(10):
        with pytest.raises(subscriptions.SubscriptionError) as raised:
            try_code(family.subscriber_code, account, municipality)
        assert raised.value.code == "already_linked"


def test_limits_can_be_changed_in_settings(account, family, municipality, settings):
    settings.WAGTAIL_FAMILY_PORTAL_SUBSCRIPTION_LIMITS = {"account": 1}
    with pytest.raises(subscriptions.SubscriptionError):
        try_code("WRONG-CODE-0000", account, municipality)

    with pytest.raises(subscriptions.TooManyAttempts):
        try_code(family.subscriber_code, account, municipality)


def test_regenerating_the_code_stops_the_old_one_and_keeps_the_links(
    account, family, municipality, agent
):
    try_code(family.subscriber_code, account, municipality)
    old = family.subscriber_code

    new = subscriptions.regenerate_subscriber_code(family, by=agent)

    assert new != old
    with pytest.raises(subscriptions.SubscriptionError):
        try_code(old, factories.UserFactory(), municipality)
    assert try_code(new, factories.UserFactory(), municipality).family == family
    assert Subscription.objects.filter(user=account, family=family).exists()
    assert ModelLogEntry.objects.filter(
        action="wagtail_family_portal.subscriber_code_regenerated", user=agent
    ).exists()


# The attempts log is purged after its retention


def attempt_at(moment, code="OLD"):
    return SubscriptionAttempt.objects.create(
        created_at=moment, ip_address="192.0.2.1", code=code, outcome="not_recognised"
    )


def test_the_purge_deletes_attempts_older_than_a_year_and_keeps_the_rest(db):
    now = timezone.now()
    year = dt.timedelta(days=365)
    older = attempt_at(now - year - dt.timedelta(seconds=1), "OLDER")
    boundary = attempt_at(now - year, "BOUNDARY")
    recent = attempt_at(now - dt.timedelta(days=2), "RECENT")

    assert subscriptions.purge_attempts(now=now, dry_run=True) == 1
    assert SubscriptionAttempt.objects.count() == 3

    assert subscriptions.purge_attempts(now=now) == 1

    assert set(SubscriptionAttempt.objects.all()) == {boundary, recent}
    assert not SubscriptionAttempt.objects.filter(pk=older.pk).exists()
    assert subscriptions.purge_attempts(now=now) == 0


@pytest.mark.parametrize("setting", [30, dt.timedelta(days=30)])
def test_the_retention_is_a_setting(db, settings, setting):
    settings.WAGTAIL_FAMILY_PORTAL_SUBSCRIPTION_ATTEMPTS_RETENTION = setting
    now = timezone.now()
    attempt_at(now - dt.timedelta(days=31))
    kept = attempt_at(now - dt.timedelta(days=29))

    assert subscriptions.purge_attempts(now=now) == 1
    assert list(SubscriptionAttempt.objects.all()) == [kept]


def test_the_purge_never_deletes_what_the_limits_still_count(db, settings, family, municipality):
    settings.WAGTAIL_FAMILY_PORTAL_SUBSCRIPTION_ATTEMPTS_RETENTION = 0
    for n in range(20):
        with pytest.raises(subscriptions.SubscriptionError):
            try_code(f"WRONG-{n}", None, municipality, confirm=False)

    subscriptions.purge_attempts()

    with pytest.raises(subscriptions.TooManyAttempts):
        try_code(family.subscriber_code, None, municipality, confirm=False)


def test_the_command_purges_and_its_dry_run_only_counts(db):
    from io import StringIO

    from django.core.management import call_command

    attempt_at(timezone.now() - dt.timedelta(days=400))
    out = StringIO()
    call_command("purge_family_portal_subscription_attempts", "--dry-run", stdout=out)
    assert "older than 365 days: 1 would be deleted" in out.getvalue()
    assert SubscriptionAttempt.objects.count() == 1

    call_command("purge_family_portal_subscription_attempts", stdout=out)
    assert "older than 365 days: 1 deleted" in out.getvalue()
    assert not SubscriptionAttempt.objects.exists()


def test_the_schedules_command_creates_the_nightly_purge_once(db):
    from io import StringIO

    from django.core.management import call_command
    from django_q.models import Schedule

    first, second = StringIO(), StringIO()
    call_command("sync_family_portal_schedules", stdout=first)
    call_command("sync_family_portal_schedules", stdout=second)

    [schedule] = Schedule.objects.filter(name=subscriptions.PURGE_SCHEDULE)
    assert schedule.func == "wagtail_family_portal.tasks.purge_subscription_attempts"
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.DAILY, -1)
    assert schedule.next_run > timezone.now()
    assert f"created: {subscriptions.PURGE_SCHEDULE}" in first.getvalue()
    assert f"unchanged: {subscriptions.PURGE_SCHEDULE}" in second.getvalue()
    # A schedule changed by hand is put right, still once.
    Schedule.objects.filter(pk=schedule.pk).update(schedule_type=Schedule.ONCE, repeats=0)
    assert subscriptions.sync_purge_schedule().updated == [subscriptions.PURGE_SCHEDULE]
    assert Schedule.objects.filter(name=subscriptions.PURGE_SCHEDULE).count() == 1
    assert Schedule.objects.get(pk=schedule.pk).schedule_type == Schedule.DAILY


def test_the_scheduled_task_runs_the_purge(db):
    from wagtail_family_portal import tasks

    attempt_at(timezone.now() - dt.timedelta(days=400))

    assert tasks.purge_subscription_attempts() == 1
    assert not SubscriptionAttempt.objects.exists()

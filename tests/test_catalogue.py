"""The package's French catalogue holds only the package's own messages.

Installing the package must not change a single translation of Django, Wagtail or any other
installed app: a msgid that equals one of theirs ("This field is required.", "Filter",
"Monday"…) would override their wording site-wide, in every form and every ``|date`` filter.
The package's strings that read like theirs carry a ``pgettext`` context instead.
"""

import gettext
import os

import pytest
from django.apps import apps
from django.utils.translation import trans_real

PACKAGE = "wagtail_family_portal"


class _Translation(trans_real.DjangoTranslation):
    """Django's merged French catalogue, built as Django builds it, optionally without the
    package's own ``locale/`` (the same order: Django's, then the apps' from last to first,
    then ``LOCALE_PATHS``)."""

    def __init__(self, language, *, without_package):
        self._without_package = without_package
        super().__init__(language)

    def _add_installed_apps_translations(self):
        for app_config in reversed(list(apps.get_app_configs())):
            if self._without_package and app_config.name == PACKAGE:
                continue
            localedir = os.path.join(app_config.path, "locale")
            if os.path.exists(localedir):
                self.merge(self._new_gnu_trans(localedir))


def _foreign_keys(language):
    """Every msgid (with its context and plural index) of every other app's catalogue."""
    import django

    roots = [os.path.join(os.path.dirname(django.__file__), "conf", "locale")]
    roots += [
        os.path.join(config.path, "locale")
        for config in apps.get_app_configs()
        if config.name != PACKAGE
    ]
    keys = set()
    for root in roots:
        path = os.path.join(root, language, "LC_MESSAGES")
        if not os.path.isdir(path):
            continue
        for name in os.listdir(path):
            if name.endswith(".mo"):
                with open(os.path.join(path, name), "rb") as handle:
                    keys.update(gettext.GNUTranslations(handle)._catalog)
    keys.discard("")
    return keys


def _package_catalogue(language):
    path = os.path.join(apps.get_app_config("wagtail_family_portal").path, "locale")
    return gettext.translation("django", path, languages=[language])._catalog


def test_installing_the_package_changes_no_translation_of_django_wagtail_or_other_apps():
    keys = _foreign_keys("fr")
    assert len(keys) > 2000, "Django's and Wagtail's French catalogues were not found"
    with_package = _Translation("fr", without_package=False)._catalog
    without_package = _Translation("fr", without_package=True)._catalog

    changed = sorted(
        (repr(key), without_package.get(key), with_package.get(key))
        for key in keys
        if with_package.get(key) != without_package.get(key)
    )

    assert changed == [], "the package's catalogue overrides these strings of other apps"


def test_the_package_catalogue_shares_no_msgid_with_other_apps():
    """Even a translation identical to theirs must not be in the package's catalogue: the day
    they reword theirs, ours would silently win."""
    shared = sorted(str(key) for key in _package_catalogue("fr").keys() & _foreign_keys("fr"))
    shared = [key for key in shared if key != ""]

    assert shared == []


@pytest.mark.parametrize(
    "msgid, django_french",
    [("Monday", "lundi"), ("Today", "Aujourd’hui")],
)
def test_django_strings_keep_their_own_french(msgid, django_french):
    from django.utils import translation

    with translation.override("fr"):
        assert translation.gettext(msgid) == django_french

"""The wheel ships everything the package needs and works once installed outside the repository.

The test builds a wheel from a copy of the sources, installs it into a fresh virtualenv and runs
a minimal Django project against it from a temporary directory. Nothing is downloaded: the wheel
is built without isolation, installed with ``--no-deps``, and the dependencies are borrowed from
the test's own virtualenv through a ``.pth`` file. A path listed in a ``.pth`` file is only
appended to ``sys.path`` (the ``.pth`` files and editable finders found there are not run), so
the repository's editable install of the package cannot leak in; the test checks it anyway.
"""

import email.parser
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from example_site import settings as example_settings

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "wagtail_family_portal"
BUILD_FILES = ["setup.cfg", "setup.py", "pyproject.toml", "MANIFEST.in", "README.md"]
BUILD_FILES += ["CHANGELOG.md", "LICENSE"]
FRENCH_PO = f"{PACKAGE}/locale/fr/LC_MESSAGES/django.po"
REQUIRED_IN_WHEEL = [
    f"{PACKAGE}/templates/{PACKAGE}/base.html",
    f"{PACKAGE}/static/{PACKAGE}/portal.css",
    f"{PACKAGE}/migrations/__init__.py",
    f"{PACKAGE}/migrations/0001_initial.py",
    FRENCH_PO,
    FRENCH_PO.replace(".po", ".mo"),
    # The fonts the PDFs embed, and their licence.
    f"{PACKAGE}/pdf/fonts/DejaVuSans.ttf",
    f"{PACKAGE}/pdf/fonts/DejaVuSans-Bold.ttf",
    f"{PACKAGE}/pdf/fonts/LICENSE-DejaVu.txt",
]
# A string of the package's own catalogue (the app's name), not one Django or Wagtail translate.
TRANSLATED_MSGID = "Family portal"


def run(args, **kwargs):
    """Run a command; on failure, show its output in the assertion message."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


def package_files(root: Path) -> set[str]:
    """The package's files, as wheel member names, without bytecode."""
    return {
        path.relative_to(root).as_posix()
        for path in (root / PACKAGE).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def build_wheel(workdir: Path) -> Path:
    """Build from a copy of the sources, so no ``build/`` directory of the repo is reused.

    pip builds it (through the same setuptools backend as ``python -m build``), so the tests
    need no packaging tool of the ``dev`` extra.
    """
    src = workdir / "src"
    src.mkdir()
    for name in BUILD_FILES:
        if (REPO / name).exists():
            shutil.copy2(REPO / name, src / name)
    shutil.copytree(
        REPO / PACKAGE, src / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    dist = workdir / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--wheel-dir", dist, src],
        cwd=src,
    )
    (wheel,) = dist.glob("*.whl")
    return wheel


def make_venv(workdir: Path, wheel: Path) -> Path:
    venv = workdir / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    # pip of the test's virtualenv installs into the new one; nothing is resolved or downloaded.
    run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps"]
        + ["--no-index", "--no-cache-dir", wheel]
    )
    new_site = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    )
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (new_site / "zz_borrowed_dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    return venv


PROJECT_SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "packaging-test"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = {installed_apps!r}
MIDDLEWARE = {middleware!r}
ROOT_URLCONF = "project_urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{"context_processors": {context_processors!r}}},
    }},
]
DATABASES = {{
    "default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
}}
AUTHENTICATION_BACKENDS = [
    "wagtail_family_portal.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_ROOT = BASE_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
WAGTAIL_SITE_NAME = "Packaging test"
WAGTAILADMIN_BASE_URL = "http://testserver"
Q_CLUSTER = {{"name": "packaging_test", "orm": "default", "sync": True}}
"""

PROJECT_URLS = """\
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("", include("wagtail_family_portal.urls")),
    path("", include(wagtail_urls)),
]
"""

# Run by the installed interpreter: everything it touches must come from the new virtualenv.
SMOKE = """\
import sys
from pathlib import Path

import django

django.setup()

import wagtail_family_portal
from django.apps import apps
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from wagtail.models import Site

from wagtail_family_portal.models import FamilyPortalPage

venv = Path(sys.prefix).resolve()


def assert_installed(path):
    path = Path(path).resolve()
    assert venv in path.parents, f"{{path}} is not in {{venv}}"


assert_installed(wagtail_family_portal.__file__)
assert_installed(get_template("wagtail_family_portal/base.html").origin.name)
assert_installed(finders.find("wagtail_family_portal/portal.css"))

with translation.override("fr"):
    app_name = str(apps.get_app_config("wagtail_family_portal").verbose_name)
    log_in = escape(translation.pgettext("family portal", "Log in"))
assert app_name == {expected!r}, app_name

root = Site.objects.get(is_default_site=True).root_page
root.add_child(instance=FamilyPortalPage(title="Espace famille", slug="espace-famille"))
response = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/espace-famille/")
html = response.content.decode()
assert response.status_code == 200, (response.status_code, html[:2000])
assert '<html lang="fr">' in html and log_in in html, html
assert "/static/wagtail_family_portal/portal.css" in html, html
print("smoke ok:", app_name)
"""


def french_msgstr(po_file: Path, msgid: str) -> str:
    match = re.search(rf'^msgid "{re.escape(msgid)}"\nmsgstr "(.+)"$', po_file.read_text(), re.M)
    assert match, f"{msgid!r} has no French translation in {po_file}"
    return match.group(1)


def wheel_metadata(wheel: Path) -> email.message.Message:
    """The wheel's METADATA (the core metadata the package index shows)."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(name).decode())


# The repository's address is set in setup.cfg; every link the index shows starts with it.
REPOSITORY = "https://github.com/wagtail-family-portal/wagtail-family-portal"
LINTERS = {"ruff", "build"}
# A Markdown link or image whose target is neither absolute nor an anchor of the page.
RELATIVE_LINK = re.compile(r"\]\((?!https://|http://|mailto:|#)([^)\s]+)")


@pytest.fixture
def wheel(portal_wheel):
    return portal_wheel


def test_metadata_names_the_project_its_licence_and_status(wheel):
    metadata = wheel_metadata(wheel)

    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Documentation", "Changelog", "Issues"}
    assert all(url.startswith(REPOSITORY) for url in urls.values()), urls
    classifiers = set(metadata.get_all("Classifier"))
    assert "License :: OSI Approved :: BSD License" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert {"Framework :: Wagtail :: 7", "Framework :: Wagtail :: 8"} <= classifiers
    assert "Framework :: Django :: 5.2" in classifiers


def test_installing_the_package_pulls_no_linter_and_bounds_every_dependency(wheel):
    requirements = [Requirement(value) for value in wheel_metadata(wheel).get_all("Requires-Dist")]
    by_extra = {}
    for requirement in requirements:
        extras = re.findall(r'extra == "([^"]+)"', str(requirement.marker or ""))
        by_extra.setdefault(extras[0] if extras else None, {})[requirement.name] = requirement

    production = by_extra[None]
    assert not LINTERS & set(production) and not LINTERS & set(by_extra["test"])
    assert LINTERS <= set(by_extra["dev"])
    assert "reportlab" in production  # the PDFs of the billing (pdf/)
    assert str(production["wagtail"].specifier) in {">=7.4,<9", "<9,>=7.4"}
    unbounded = [
        str(requirement)
        for requirement in production.values()
        if not any(spec.operator in {"<", "<=", "~=", "=="} for spec in requirement.specifier)
    ]
    assert unbounded == [], "no upper bound (a major release untested)"


def test_long_description_has_no_relative_link_or_image(wheel):
    """The package index shows README.md without the repository's files around it."""
    description = wheel_metadata(wheel).get_payload()

    assert "Wagtail 7.4" in description  # the Compatibility section
    assert RELATIVE_LINK.findall(description) == []
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", description)
    assert images and all(
        image.startswith("https://raw.githubusercontent.com/wagtail-family-portal/")
        for image in images
    ), images


def test_wheel_installs_and_runs_outside_the_repository(tmp_path, portal_wheel):
    wheel = portal_wheel

    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = sorted(set(REQUIRED_IN_WHEEL) - shipped)
    assert not missing, f"missing from {wheel.name}: {missing}"
    not_shipped = sorted(package_files(REPO) - shipped)
    assert not not_shipped, f"files of the package left out of {wheel.name}: {not_shipped}"

    venv = make_venv(tmp_path, wheel)
    python = venv / "bin" / "python"
    (installed_po,) = venv.glob(f"lib/python*/site-packages/{FRENCH_PO}")
    expected = french_msgstr(installed_po, TRANSLATED_MSGID)

    project = tmp_path / "project"
    project.mkdir()
    (project / "project_settings.py").write_text(
        PROJECT_SETTINGS.format(
            installed_apps=list(example_settings.INSTALLED_APPS),
            middleware=list(example_settings.MIDDLEWARE),
            context_processors=example_settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
        )
    )
    (project / "project_urls.py").write_text(PROJECT_URLS)
    (project / "smoke.py").write_text(SMOKE.format(expected=expected))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="project_settings", PYTHONPATH=str(project), PYTHONSAFEPATH="1"
    )

    def django_admin(*args):
        return run([python, "-m", "django", *args], cwd=project, env=env)

    django_admin("check")
    django_admin("migrate", "--noinput", "--verbosity", "0")
    django_admin("makemigrations", "--check", "--dry-run", PACKAGE)
    output = run([python, project / "smoke.py"], cwd=project, env=env)
    assert "smoke ok" in output

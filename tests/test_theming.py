"""Theming: the portal's pages inside the host site's own page frame.

``WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE`` names the template the portal's ``base.html`` extends.
``tests/templates/host_site/base.html`` is the ``base.html`` that ``wagtail start`` writes, with
two markers of the host's own header and footer around its ``content`` block.
"""

import re

import pytest
from django.core.checks import Error, Warning

from wagtail_family_portal import checks, theming

from . import factories

PORTAL_URL = "/espace-famille/"
LOGIN_URL = "/espace-famille/connexion/"
LOGOUT_URL = "/espace-famille/deconnexion/"
HOST_TEMPLATE = "host_site/base.html"
HOST_HEADER = '<header class="host-header">HOST-SITE-HEADER</header>'
HOST_FOOTER = '<footer class="host-footer">HOST-SITE-FOOTER</footer>'
PORTAL_CSS = 'href="/static/wagtail_family_portal/portal.css"'
USERBAR = 'id="wagtail-userbar-template"'
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
PACKAGE_TEMPLATES = theming.PACKAGE_TEMPLATES


@pytest.fixture
def host_layout(settings):
    settings.WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE = HOST_TEMPLATE


@pytest.fixture
def editor(db):
    """A Wagtail editor: may use the admin, has no family."""
    return factories.UserFactory(
        username="editor", email="editor@example.org", is_staff=True, is_superuser=True
    )


def page_html(client, url) -> str:
    response = client.get(url, **ENGLISH)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def head_of(html: str) -> str:
    return html[html.index("<head>") : html.index("</head>")]


def assert_one_document(html: str):
    """One page, not a page inside a page."""
    lowered = html.lower()
    for tag in ("<!doctype", "<html", "<head>", "<body", '<main id="main"'):
        assert lowered.count(tag) == 1, f"{tag} appears {lowered.count(tag)} times"


def assert_inside_host(html: str):
    """The host's frame around the portal's: its header first, its footer last, its CSS and JS
    with the portal's own CSS in the head."""
    assert_one_document(html)
    assert html.index(HOST_HEADER) < html.index('class="wfp"') < html.index(HOST_FOOTER)
    assert html.index('class="wfp"') < html.index('<main id="main"') < html.index(HOST_FOOTER)
    head = head_of(html)
    assert 'href="/static/css/host_site.css"' in head
    assert PORTAL_CSS in head
    assert 'src="/static/js/host_site.js"' in html
    # The portal's header and footer are not a second banner and contentinfo next to the host's.
    assert '<header class="wfp-header"' not in html and '<footer class="wfp-footer"' not in html


def account_menu(html: str) -> str:
    start = html.index('<nav class="wfp-nav"')
    return html[start : html.index("</nav>", start)]


def assert_account_menu(html: str):
    menu = account_menu(html)
    assert 'href="/espace-famille/"' in menu and 'href="/espace-famille/abonnements/"' in menu
    logout = re.search(rf'<form [^>]*method="post" action="{LOGOUT_URL}">(.*?)</form>', menu, re.S)
    assert logout, menu
    assert 'name="csrfmiddlewaretoken"' in logout.group(1)
    assert "Log out" in logout.group(1)


# The portal inside the host's base template


def test_visitor_home_and_login_render_inside_the_host_template(
    client, portal_site, portal_page, host_layout
):
    portal_site.site_name = "Ville de Belleville"
    portal_site.save()
    for url in (PORTAL_URL, LOGIN_URL):
        html = page_html(client, url)

        assert_inside_host(html)
        assert 'id="wfp-login"' in html and 'name="password"' in html
        assert '<span class="wfp-brand__name">Belleville-sur-Loire</span>' in html
    # The portal's page title replaces the host's; the host's suffix (the site's name) would
    # repeat the town's.
    title = " ".join(re.search(r"<title>(.*?)</title>", html, re.S).group(1).split())
    assert title == "Log in – Belleville-sur-Loire"


def test_family_pages_render_inside_the_host_template_with_the_account_menu(
    parent_client, portal_page, enrolled_family, host_layout
):
    family = f"{PORTAL_URL}famille/{enrolled_family.pk}/"
    pages = {
        "dashboard": PORTAL_URL,
        "planning": f"{family}planning/",
        "family file": family,
        "requests": f"{family}demandes/",
        "calendar": f"{family}calendrier/",
    }
    for name, url in pages.items():
        html = page_html(parent_client, url)

        assert_inside_host(html)
        assert_account_menu(html)
        assert 'class="wfp-title"' in html, name
    # The portal's own script comes along with the page that needs it.
    assert 'src="/static/wagtail_family_portal/planning.js"' in html
    # The page's own head elements (the legend's colours) and class reach the host's page.
    planning = page_html(parent_client, pages["planning"])
    assert ".wfp-state--booked{" in head_of(planning)
    assert re.search(r'<body class="[^"]*\bwfp--planning\b', planning)


# The package's own layout, the default


def test_default_layout_is_the_package_standalone_page(client, portal_page):
    html = page_html(client, PORTAL_URL)

    assert_one_document(html)
    assert '<html lang="en">' in html
    assert PORTAL_CSS in head_of(html)
    assert '<header class="wfp-header">' in html and '<footer class="wfp-footer">' in html
    assert "HOST-SITE-HEADER" not in html
    # The skip link is the first thing a keyboard reaches.
    body = html[html.index("<body") :]
    assert body.index("<a ") == body.index('<a class="wfp-skip"')


# The Wagtail userbar: editors get it on the portal's pages, families never


@pytest.mark.parametrize("layout", ["default", "host"])
def test_userbar_shows_to_an_editor(client, portal_page, editor, settings, layout):
    if layout == "host":
        settings.WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE = HOST_TEMPLATE
    client.force_login(editor)

    for url in (PORTAL_URL, f"{PORTAL_URL}abonnements/"):
        html = page_html(client, url)

        assert html.count(USERBAR) == 1, url
        assert_one_document(html)


@pytest.mark.parametrize("layout", ["default", "host"])
def test_userbar_never_shows_to_a_family_or_a_visitor(
    client, parent, portal_page, enrolled_family, settings, layout
):
    if layout == "host":
        settings.WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE = HOST_TEMPLATE

    assert USERBAR not in page_html(client, PORTAL_URL)
    client.force_login(parent)
    for url in (PORTAL_URL, f"{PORTAL_URL}famille/{enrolled_family.pk}/planning/"):
        assert USERBAR not in page_html(client, url)


# Guards on the templates and on the host's setting


def test_no_portal_template_overrides_the_blocks_the_frame_fills():
    """``content``, ``extra_css`` and ``extra_js`` are the host's blocks, filled once by the
    portal's base.html; a page that overrides them drops the portal's menu or CSS. Pages fill
    ``portal_content``, ``extra_head`` and ``scripts``."""
    offenders = [
        str(path.relative_to(PACKAGE_TEMPLATES))
        for path in PACKAGE_TEMPLATES.rglob("*.html")
        if path.name not in {"base.html", "layout.html"} or path.parent != PACKAGE_TEMPLATES
        if path.relative_to(PACKAGE_TEMPLATES).parts[0] not in {"admin", "emails"}
        if re.search(r"{%\s*block\s+(content|extra_css|extra_js)\s*%}", path.read_text())
    ]
    assert offenders == []


def test_check_accepts_the_default_and_a_wagtail_start_base(settings):
    assert checks.check_base_template() == []
    settings.WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE = HOST_TEMPLATE
    assert checks.check_base_template() == []


def test_check_reports_a_template_that_does_not_exist(settings):
    settings.WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE = "nowhere/base.html"

    (problem,) = checks.check_base_template()

    assert isinstance(problem, Error)
    assert problem.id == "wagtail_family_portal.E010"
    assert "nowhere/base.html" in problem.msg


def test_check_reports_the_portal_base_itself(settings):
    settings.WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE = "wagtail_family_portal/base.html"

    (problem,) = checks.check_base_template()

    assert isinstance(problem, Error) and problem.id == "wagtail_family_portal.E010"


def test_check_reports_missing_blocks_and_block_names_the_portal_uses(settings, tmp_path):
    (tmp_path / "site_base.html").write_text(
        "<html><head><title>{% block title %}{% endblock %}</title></head><body>"
        "{% block header %}Our header{% endblock %}<main>{% block main %}{% endblock %}</main>"
        "</body></html>"
    )
    (tmp_path / "child_base.html").write_text('{% extends "site_base.html" %}')
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    settings.WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE = "child_base.html"

    problems = checks.check_base_template()

    assert all(isinstance(problem, Warning) for problem in problems)
    assert {problem.id for problem in problems} == {"wagtail_family_portal.W010"}
    text = " ".join(problem.msg for problem in problems)
    assert "content" in text and "extra_css" in text  # missing: no page, no CSS
    assert "'header'" in text  # the host's header block would be replaced by the portal's
    assert "'main'" not in text  # a name the portal does not use


# In a browser: the host's look, the portal's menu


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_the_host_frame_the_portal_takes_the_site_font_and_colours(
    browser_page, live_server, portal_page, enrolled_family, parent, settings
):
    from playwright.sync_api import expect

    from .browser import DESKTOP_VIEWPORT, PHONE_VIEWPORT, screenshot

    page = browser_page
    page.goto(live_server.url + PORTAL_URL)
    # The package's own page: the system's font and the default blue.
    default_font = page.locator(".wfp").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Georgia" not in default_font
    button = page.locator("#wfp-login button[type=submit]")
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 79, 145)"

    settings.WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE = HOST_TEMPLATE
    page.goto(live_server.url + PORTAL_URL)
    expect(page.locator(".host-header")).to_be_visible()
    expect(page.locator(".host-footer")).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.hostScript") == "ran"
    assert "Georgia" in page.locator(".wfp").evaluate("e => getComputedStyle(e).fontFamily")
    # The host's `.wfp { --wfp-primary }` wins over the portal's default, loaded after it.
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(122, 31, 92)"

    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "correct-horse-battery")
    button.click()
    page.wait_for_url(live_server.url + PORTAL_URL)
    menu = page.get_by_role("navigation", name="Mon compte")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("button", name="Se déconnecter")).to_be_visible()
    # One banner (the host's header), not the portal's header as a second one.
    assert page.get_by_role("banner").count() == 1
    page.set_viewport_size(DESKTOP_VIEWPORT)
    screenshot(page, "theming-host-dashboard-desktop")
    page.set_viewport_size(PHONE_VIEWPORT)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    screenshot(page, "theming-host-dashboard-phone")

    menu.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#wfp-login")).to_be_visible()
    page.wait_for_load_state("networkidle")  # the host's CSS and JS too, before the server stops

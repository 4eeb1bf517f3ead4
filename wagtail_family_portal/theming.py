"""The page frame around the portal's pages: the package's own layout, or the host site's.

``wagtail_family_portal/base.html`` extends the template named by the setting
``WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE`` (the package's ``layout.html`` by default) and fills its
blocks ``title``, ``body_class``, ``extra_css``, ``content`` and ``extra_js`` — the blocks of
the ``base.html`` that ``wagtail start`` writes — so a town's portal takes its site's header,
footer and styles, and keeps its own menu and logout inside ``content`` (docs/decisions.md §31).
"""

from pathlib import Path

from django.template import Context, TemplateDoesNotExist, TemplateSyntaxError, loader
from django.template.loader_tags import BlockNode, ExtendsNode

from . import conf

SETTING = conf.setting_name("BASE_TEMPLATE")
DEFAULT_BASE_TEMPLATE = conf.DEFAULT_BASE_TEMPLATE
PORTAL_BASE_TEMPLATE = "wagtail_family_portal/base.html"

# The host's blocks the portal fills. Without ``content`` nothing of the portal is shown, without
# ``extra_css`` it has no styles, without ``title`` every page has the same title.
REQUIRED_BLOCKS = ("title", "extra_css", "content")
# ``title_suffix`` (wagtail start's site name after the title) is emptied: the portal's title
# already names the municipality.
HOST_BLOCKS = frozenset({"title", "title_suffix", "body_class", "extra_css", "content", "extra_js"})

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates" / "wagtail_family_portal"
# Templates that are not family pages: the agents' admin screens and the e-mails.
NOT_PAGES = ("admin", "emails")


def base_template() -> str:
    return conf.base_template()


def frame_context() -> dict:
    """What ``base.html`` reads to pick its frame (views add it through ``portal_context``).

    ``wfp_embedded`` is true inside a host's template: the portal's header and footer are then
    plain blocks, not a second banner and contentinfo landmark next to the host's own.
    """
    name = base_template()
    return {"wfp_base_template": name, "wfp_embedded": name != DEFAULT_BASE_TEMPLATE}


def block_names(template_name: str) -> set[str]:
    """Every block defined by a template and the templates it extends (Django templates only;
    a parent named by a variable is not followed). Raises ``TemplateDoesNotExist``."""
    names: set[str] = set()
    seen: set[str] = set()
    while template_name and template_name not in seen:
        seen.add(template_name)
        template = getattr(loader.get_template(template_name), "template", None)
        if template is None or not hasattr(template, "nodelist"):
            break
        names |= {node.name for node in template.nodelist.get_nodes_by_type(BlockNode)}
        extends = template.nodelist.get_nodes_by_type(ExtendsNode)
        # A variable's default (the portal's base.html names its own layout) is followed.
        parent = extends[0].parent_name.resolve(Context(), ignore_failures=True) if extends else ""
        template_name = parent if isinstance(parent, str) else ""
    return names


def portal_block_names() -> set[str]:
    """The blocks the portal's pages define besides the host's: a host block of the same name
    would be replaced by the portal's (shown twice, once in the host's place)."""
    names: set[str] = set()
    for path in PACKAGE_TEMPLATES.rglob("*.html"):
        relative = path.relative_to(PACKAGE_TEMPLATES)
        if relative.parts[0] in NOT_PAGES or relative.as_posix() == "layout.html":
            continue
        try:
            names |= block_names(f"wagtail_family_portal/{relative.as_posix()}")
        except (TemplateDoesNotExist, TemplateSyntaxError):
            continue  # a host's broken override is reported by rendering, not here
    return names - HOST_BLOCKS

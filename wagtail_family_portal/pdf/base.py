"""What every billing document shares: the embedded fonts, the French formatting of amounts and
dates, the page frame (the municipality's header, the régie's footer, "page x/y" on every page)
and ``DocumentRenderer``, the class the invoice and the attestation renderers extend.

A town changes its documents by subclassing a renderer and overriding one of its small hooks
(``header``, ``draw_footer``, ``get_stylesheet``…), then naming the subclass in a setting
(docs/billing.md, "Changing the invoice's layout").
"""

import datetime as dt
import functools
import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext, pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import LayoutError
from reportlab.platypus.tables import CellStyle

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = "WFPDejaVuSans"
BOLD = "WFPDejaVuSans-Bold"
NBSP = "\xa0"


@functools.cache
def register_fonts() -> tuple[str, str]:
    """DejaVu Sans (shipped in ``fonts/``, licence next to it), embedded in every document:
    the PDF's 14 standard fonts have no "œ" or "€" on every reader. Registered once a process
    (reading a TTF takes milliseconds)."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR)
    return REGULAR, BOLD


def amount(value, *, currency=True) -> str:
    """``Decimal("1234.5")`` as the active language writes it: "1 234,50 €" in French (no-break
    spaces, so that an amount never splits over two lines)."""
    text = formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    text = text.replace(" ", NBSP)
    return f"{text}{NBSP}€" if currency else text


def quantity(value) -> str:
    """A quantity without useless decimals: 10, 1,5, 0,25."""
    value = Decimal(value).normalize()
    places = max(0, -value.as_tuple().exponent)
    return formats.number_format(value, places, use_l10n=True, force_grouping=True).replace(
        " ", NBSP
    )


def date(day: dt.date | None) -> str:
    return formats.date_format(day, "d/m/Y") if day else ""


def long_date(day: dt.date) -> str:
    """8 décembre 2026."""
    return formats.date_format(day, "j F Y")


def period(start: dt.date, end: dt.date) -> str:
    """01/11 – 30/11/2026 (kept on one line); 01/11/2026 – 31/01/2027 over two years (may
    break after the dash); one day alone when start and end are the same."""
    if start == end:
        return date(start)
    if start.year == end.year:
        return f"{formats.date_format(start, 'd/m')}{NBSP}–{NBSP}{date(end)}"
    return f"{date(start)}{NBSP}– {date(end)}"


def escape(text) -> str:
    """Text for a reportlab ``Paragraph`` (its mark-up is a little XML), line breaks kept."""
    text = str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r\n", "\n").replace("\n", "<br/>")


def _numbered_canvas(renderer):
    """A canvas that keeps its pages until the end, so that each can say "page x/y"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_pages = []

        def showPage(self):  # noqa: N802  (reportlab's name)
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            count = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                renderer.draw_page_number(self, self._pageNumber, count)
                super().showPage()
            super().save()

    return NumberedCanvas


class DocumentRenderer:
    """One PDF document of a régie, A4, in the town's language.

    ``render()`` builds ``get_story()`` (flowables) in a frame whose pages get
    ``draw_page(canvas, doc)``: the footer and, on every page but the first, a reminder of
    the document's title. Subclasses give ``title()`` and ``body()``; towns override a hook.
    """

    pagesize = A4
    left_margin = right_margin = 18 * mm
    top_margin = 16 * mm
    bottom_margin = 24 * mm
    font_size = 9
    logo_max_width = 50 * mm
    logo_max_height = 22 * mm
    # The Wagtail rendition the logo is drawn from (a large original is not embedded as is).
    logo_rendition = "max-600x264"
    accent = colors.HexColor("#1f3a5f")
    muted = colors.HexColor("#555555")
    rule = colors.HexColor("#b8c2cc")

    def __init__(self, office, *, language=None):
        self.office = office
        self.municipality = office.municipality
        self.language = language or settings.LANGUAGE_CODE
        self.regular, self.bold = register_fonts()
        self._fits, self._formatted = {}, {}

    # What subclasses give

    def title(self) -> str:
        raise NotImplementedError

    def body(self) -> list:
        raise NotImplementedError

    def filename(self) -> str:
        return "document.pdf"

    # Building

    def render(self) -> bytes:
        with translation.override(self.language):
            self.styles = self.get_stylesheet()
            buffer = io.BytesIO()
            doc = SimpleDocTemplate(
                buffer,
                pagesize=self.pagesize,
                leftMargin=self.left_margin,
                rightMargin=self.right_margin,
                topMargin=self.top_margin,
                bottomMargin=self.bottom_margin,
                title=self.title(),
                author=self.office.name,
                subject=self.title(),
                creator=self.municipality.name,
                lang=self.language,
                invariant=True,
                initialFontName=self.regular,
                initialFontSize=self.font_size,
            )
            story = self.get_story()
            try:
                doc.build(
                    story,
                    onFirstPage=self.draw_page,
                    onLaterPages=self.draw_page,
                    canvasmaker=_numbered_canvas(self),
                )
            except LayoutError as error:  # a cell taller than a page: a text far too long
                raise ValueError(f"{self.title()}: {error}") from error
            return buffer.getvalue()

    def get_story(self) -> list:
        return [*self.header(), *self.body()]

    def get_stylesheet(self) -> dict:
        base = ParagraphStyle(
            "base", fontName=self.regular, fontSize=self.font_size, leading=self.font_size * 1.3
        )

        def style(name, **kwargs):
            return ParagraphStyle(name, parent=base, **kwargs)

        return {
            "base": base,
            "small": style("small", fontSize=7.5, leading=9.5, textColor=self.muted),
            "bold": style("bold", fontName=self.bold),
            "right": style("right", alignment=TA_RIGHT),
            "bold_right": style("bold_right", fontName=self.bold, alignment=TA_RIGHT),
            "cell": style("cell", fontSize=8, leading=10),
            "cell_right": style("cell_right", fontSize=8, leading=10, alignment=TA_RIGHT),
            "cell_head": style("cell_head", fontName=self.bold, fontSize=8, leading=10),
            "cell_head_right": style(
                "cell_head_right", fontName=self.bold, fontSize=8, leading=10, alignment=TA_RIGHT
            ),
            "issuer": style("issuer", fontName=self.bold, fontSize=11, leading=14),
            "title": style(
                "title", fontName=self.bold, fontSize=15, leading=19, textColor=self.accent
            ),
            "heading": style(
                "heading", fontName=self.bold, fontSize=10, leading=13, textColor=self.accent
            ),
        }

    # reportlab's frame keeps 6 points of padding on each side inside the margins.
    frame_padding = 6

    @property
    def width(self) -> float:
        """The width a flowable may take: the page less its margins and the frame's padding."""
        return self.pagesize[0] - self.left_margin - self.right_margin - 2 * self.frame_padding

    # The header: the municipality's logo and address, the régie

    def header(self) -> list:
        """The first page's top: logo and municipality on the left, the régie on the right."""
        left = [(self.municipality.name, "issuer"), (self.municipality_address(), "base")]
        right = [(self.office.name, "bold"), (self.office_contact(), "base")]
        logo = self.logo()
        if logo is not None:
            left.insert(0, (logo, None))
            right.insert(0, ("", "base"))
        return [self.blocks(left, right), Spacer(1, 6 * mm)]

    def municipality_address(self) -> str:
        municipality = self.municipality
        lines = [municipality.postal_address]
        if municipality.phone:
            lines.append(pgettext("family portal", "Phone: %(phone)s") % {"phone": self._phone()})
        if municipality.contact_email:
            lines.append(municipality.contact_email)
        return "\n".join(line for line in lines if line)

    def _phone(self) -> str:
        phone = self.municipality.phone
        try:
            import phonenumbers

            return phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.NATIONAL)
        except Exception:  # a plain string, or a number phonenumbers cannot format
            return str(phone)

    def office_contact(self) -> str:
        office = self.office
        lines = [office.address]
        if office.phone:
            lines.append(pgettext("family portal", "Phone: %(phone)s") % {"phone": office.phone})
        if office.email:
            lines.append(office.email)
        if office.siret:
            lines.append(gettext("SIRET: %(siret)s") % {"siret": office.siret})
        return "\n".join(line for line in lines if line)

    def logo(self):
        """The municipality's logo (a Wagtail image) scaled into the header's box; None without
        one, or when its file cannot be read (the document is sent anyway)."""
        image = self.municipality.logo
        if image is None:
            return None
        try:
            rendition = image.get_rendition(self.logo_rendition)
            with rendition.file.open("rb") as handle:
                data = io.BytesIO(handle.read())
            width, height = ImageReader(data).getSize()
        except (OSError, ValueError):
            return None
        data.seek(0)
        scale = min(self.logo_max_width / width, self.logo_max_height / height)
        flowable = Image(data, width=width * scale, height=height * scale)
        flowable.hAlign = "LEFT"
        return flowable

    # Every page: the footer, "page x/y", the title again after the first page

    def draw_page(self, canvas, doc) -> None:
        canvas.saveState()
        self.draw_footer(canvas, doc)
        if doc.page > 1:
            self.draw_running_header(canvas, doc)
        canvas.restoreState()

    def footer_text(self) -> str:
        return self.office.footer

    def draw_footer(self, canvas, doc) -> None:
        """The régie's footer (its legal notices), centred above the bottom edge."""
        lines = [line.strip() for line in (self.footer_text() or "").splitlines() if line.strip()]
        canvas.setStrokeColor(self.rule)
        canvas.setLineWidth(0.5)
        top = self.bottom_margin - 4 * mm
        left = self.left_margin + self.frame_padding
        canvas.line(left, top, left + self.width, top)
        canvas.setFont(self.regular, 7)
        canvas.setFillColor(self.muted)
        y = top - 3.5 * mm
        for line in lines[:4]:
            canvas.drawCentredString(self.pagesize[0] / 2, y, line)
            y -= 3 * mm

    def draw_running_header(self, canvas, doc) -> None:
        canvas.setFont(self.regular, 7.5)
        canvas.setFillColor(self.muted)
        y = self.pagesize[1] - 10 * mm
        canvas.drawString(
            self.left_margin + self.frame_padding, y, f"{self.municipality.name} — {self.title()}"
        )

    def draw_page_number(self, canvas, page: int, pages: int) -> None:
        """ "Page 2/3" at the bottom right of each page (called once the page count is known)."""
        with translation.override(self.language):
            text = gettext("Page %(page)d/%(pages)d") % {"page": page, "pages": pages}
        canvas.saveState()
        canvas.setFont(self.regular, 7.5)
        canvas.setFillColor(self.muted)
        right = self.left_margin + self.frame_padding + self.width
        canvas.drawRightString(right, 8 * mm, text)
        canvas.restoreState()

    def draw_watermark(self, canvas, text: str) -> None:
        """A large diagonal word across the page (the "DRAFT" of an invoice not issued yet)."""
        canvas.saveState()
        canvas.setFont(self.bold, 80)
        canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.18))
        canvas.translate(self.pagesize[0] / 2, self.pagesize[1] / 2)
        canvas.rotate(40)
        canvas.drawCentredString(0, -25, text)
        canvas.restoreState()

    # Helpers for the subclasses

    def blocks(self, left, right, *, split=0.55) -> Table:
        """Two columns of ``(text, style)`` pairs side by side, without padding (the header,
        the addressee): plain strings where they fit, drawn in their style; a flowable given
        instead of a text (the logo) is placed as it is."""
        widths = [self.width * split, self.width * (1 - split)]
        rows, commands = [], []
        for index in range(max(len(left), len(right))):
            row = []
            for column, side in enumerate((left, right)):
                text, style = side[index] if index < len(side) else ("", "base")
                if style is None:
                    row.append(text)
                    continue
                row.append(self.cell(text, widths[column], style, padding=0) if text else "")
                commands += self.style_commands(style, (column, index), (column, index))
            rows.append(row)
        return self.layout(
            rows,
            widths,
            padding=0,
            extra=[
                *commands,
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ],
        )

    def columns(self, left, right, *, split=0.55) -> Table:
        """Two blocks side by side, without padding (the header, the addressee)."""
        return self.layout(
            [[left, right]], [self.width * split, self.width * (1 - split)], padding=0
        )

    def layout(self, rows, widths, *, padding=3, extra=()) -> Table:
        """A table that only places things: no rules, the document's font in every cell."""
        table = Table(rows, colWidths=widths)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.regular),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), padding),
                    ("RIGHTPADDING", (0, 0), (-1, -1), padding),
                    *extra,
                ]
            )
        )
        return table

    cell_padding = 3

    def cell(self, text, width: float, style="cell", *, padding=None):
        """A cell of a table of figures: the text itself when it fits on one line of the column
        (reportlab draws a plain string several times faster than a ``Paragraph``, which counts
        on an invoice of many lines), a ``Paragraph`` that wraps otherwise. ``table()`` gives
        plain strings the font, size and colour of the ``cell`` styles."""
        text = str(text or "")
        font = self.styles[style]
        padding = self.cell_padding if padding is None else padding
        key = (text, style, width, padding)
        fits = self._fits.get(key)
        if fits is None:  # an invoice repeats its children, activities, periods and prices
            room = width - 2 * padding
            fits = self._fits[key] = all(
                stringWidth(line, font.fontName, font.fontSize) <= room for line in text.split("\n")
            )
        return text if fits else Paragraph(escape(text), font)

    def style_commands(self, style: str, start, end) -> list:
        """The ``TableStyle`` commands that draw the plain strings of cells ``start`` to ``end``
        as a ``Paragraph`` of ``style`` would (font, size, leading, colour, alignment)."""
        font = self.styles[style]
        align = {0: "LEFT", 1: "CENTRE", 2: "RIGHT"}.get(font.alignment, "LEFT")
        return [
            ("FONTNAME", start, end, font.fontName),
            ("FONTSIZE", start, end, font.fontSize),
            ("LEADING", start, end, font.leading),
            ("TEXTCOLOR", start, end, font.textColor),
            ("ALIGN", start, end, align),
        ]

    def formatted(self, function, *args) -> str:
        """``function(*args)`` (a formatting of base.py), computed once per document."""
        key = (function, *args)
        text = self._formatted.get(key)
        if text is None:
            text = self._formatted[key] = function(*args)
        return text

    def table(self, rows, widths, *, header_rows=1, right=(), extra=()) -> Table:
        """A table of figures: a ruled head repeated on each page, a thin rule under each row;
        ``right`` are the indexes of the columns aligned right (amounts)."""
        cell, head = self.styles["cell"], self.styles["cell_head"]
        # The cells start with the table's font and paddings (a style command applied to
        # every cell of a long table costs more than drawing it).
        defaults = type(
            "FigureCell",
            (CellStyle,),
            {
                "fontname": cell.fontName,
                "fontsize": cell.fontSize,
                "leading": cell.leading,
                "leftPadding": self.cell_padding,
                "rightPadding": self.cell_padding,
                "topPadding": 2,
                "bottomPadding": 2.5,
                "valign": "TOP",
            },
        )
        cells = [[defaults("") for _ in row] for row in rows]
        table = Table(rows, colWidths=widths, repeatRows=header_rows, cellStyles=cells)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, header_rows - 1), head.fontName),
                    *[("ALIGN", (column, 0), (column, -1), "RIGHT") for column in right],
                    ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, self.accent),
                    ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, self.rule),
                    *extra,
                ]
            )
        )
        return table

    def paragraph(self, text, style="base") -> Paragraph:
        return Paragraph(escape(text), self.styles[style])

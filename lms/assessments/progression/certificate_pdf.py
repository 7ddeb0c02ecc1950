"""Certificates as PDF, with names in any script laid out correctly.

fpdf2 with HarfBuzz shaping (uharfbuzz) joins Arabic letters and orders right-to-left text; the
fonts ship with Pathways (lms/static/fonts), so nothing depends on the fonts of the machine.
Each run of text gets the font for its script.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import segno
from fpdf import FPDF

from lms.assessments.progression.models import Certificate
from lms.assessments.progression.services import format_code
from lms.core.i18n import _, format_date

#: The same Noto fonts the pages use (lms/static/fonts), so a name prints as it shows on screen.
FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
SCRIPT_FONTS = {
    "arabic": "NotoSansArabic-Regular.ttf",
    "ethiopic": "NotoSansEthiopic-Regular.ttf",
    "bengali": "NotoSansBengali-Regular.ttf",
    "latin": "NotoSans-Regular.ttf",
}


def script_of(text: str) -> str:
    """The script a name is written in, from its first letter that says (Latin covers Cyrillic too)."""
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("ARABIC"):
            return "arabic"
        if name.startswith("ETHIOPIC"):
            return "ethiopic"
        if name.startswith("BENGALI"):
            return "bengali"
        return "latin"
    return "latin"


def add_script_fonts(pdf: FPDF) -> None:
    """Load the font of every script into a document: certificates and funder returns alike."""
    for script, filename in SCRIPT_FONTS.items():
        pdf.add_font(script, fname=str(FONTS / filename))
    # A label in one script can carry a code or URL in another (an Arabic label before a Latin code).
    pdf.set_fallback_fonts(list(SCRIPT_FONTS))


def font_for(pdf: FPDF, text: str, size: float) -> None:
    """Set the font for a run of text by its script (its first letter's); letters of other scripts
    come from the fallback fonts."""
    # Shaping is needed for joined and right-to-left scripts, wherever they are in the run (a Latin
    # label before an Arabic name); plain Latin runs keep exact text extraction.
    pdf.set_text_shaping(any(script_of(char) != "latin" for char in text if char.isalpha()))
    pdf.set_font(script_of(text), size=size)


class _Certificate(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="landscape", format="A4")
        add_script_fonts(self)
        self.set_auto_page_break(False)
        self.set_margins(20, 20, 20)

    def line_of(self, text: str, size: float, *, gap: float = 4) -> None:
        font_for(self, text, size)
        self.cell(w=0, h=size * 0.5, text=text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)


def render(certificate: Certificate, verify_url: str, logo: bytes | None = None) -> bytes:
    return render_many([(certificate, verify_url)], logo)


def render_many(certificates: Sequence[tuple[Certificate, str]], logo: bytes | None = None) -> bytes:
    """Certificates with their verification URLs as one PDF, one page each (a cohort's, for printing)."""
    pdf = _Certificate()
    for certificate, verify_url in certificates:
        _page(pdf, certificate, verify_url, logo)
    return bytes(pdf.output())


def _page(pdf: _Certificate, certificate: Certificate, verify_url: str, logo: bytes | None) -> None:
    pdf.add_page()
    pdf.set_draw_color(29, 79, 145)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    if logo:  # top left, inside the border: at most 50 by 20 mm, its shape kept
        pdf.image(io.BytesIO(logo), x=18, y=16, w=50, h=20, keep_aspect_ratio=True)
    pdf.set_y(28)
    pdf.line_of(certificate.organisation_name, 16, gap=8)
    pdf.line_of(certificate.certificate_type.name, 30, gap=10)
    pdf.line_of(_("This is to certify that"), 14, gap=6)
    pdf.line_of(certificate.holder_name, 30, gap=4)
    if certificate.holder_name_latin:
        pdf.line_of(certificate.holder_name_latin, 16, gap=6)
    pdf.line_of(_("has completed"), 14, gap=6)
    pdf.line_of(certificate.course_title, 22, gap=10)
    pdf.line_of(_("Issued on %(date)s", date=format_date(certificate.issued_date, "long")), 12, gap=2)
    if certificate.expiry_date:
        pdf.line_of(_("Valid until %(date)s", date=format_date(certificate.expiry_date, "long")), 12, gap=2)
    pdf.line_of(_("Verification code %(code)s", code=format_code(certificate.code)), 12, gap=2)
    pdf.line_of(verify_url, 10, gap=2)
    if certificate.signatory_name:
        _signature(pdf, certificate.signatory_name, certificate.signatory_title)
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(qr, x=pdf.w - 60, y=pdf.h - 62, w=40, h=40)


def _signature(pdf: _Certificate, name: str, title: str) -> None:
    """Bottom left: a line to sign on, the signatory's name and role under it."""
    x, y, width = 22, pdf.h - 42, 75
    pdf.set_line_width(0.3)
    pdf.line(x, y, x + width, y)
    pdf.set_xy(x, y + 2)
    font_for(pdf, name, 12)
    pdf.cell(w=width, h=6, text=name, align="C", new_x="LEFT", new_y="NEXT")
    if title:
        font_for(pdf, title, 10)
        pdf.cell(w=width, h=5, text=title, align="C", new_x="LEFT", new_y="NEXT")

"""Applicant text is untrusted: keep it from being read as a formula by a spreadsheet."""

from __future__ import annotations

#: Leading characters that make Excel, LibreOffice or Google Sheets treat a cell as a formula
#: (OWASP's CSV injection guidance).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would take for a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text

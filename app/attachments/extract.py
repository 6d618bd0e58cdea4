"""Text of PDF, DOCX, ODT and TXT for search, bounded in size and time. A document whose text cannot
be read is kept and marked so; extraction never refuses an upload."""

import logging
import time
import zipfile
from pathlib import Path

from app.attachments.detect import check_zip, decode_text, opens_without_password, read_xml

log = logging.getLogger(__name__)
MAX_TEXT = 2_000_000  # characters kept for search
TIME_BUDGET = 20.0  # seconds per document, checked between pages and paragraphs
MAX_PAGES = 3_000


class Encrypted(Exception):
    """A PDF that needs a password to open: kept and downloadable, its text unread."""


def extract_text(path: Path, kind: str) -> tuple[str, str]:
    """(text, status) with status "ok", "unreadable", "encrypted" (a PDF that needs a password)
    or "none" (no text to look for)."""
    extractor = {"pdf": _pdf, "docx": _docx, "odt": _odt, "txt": _txt}.get(kind)
    if extractor is None:
        return "", "none"
    deadline = time.monotonic() + TIME_BUDGET
    try:
        text = " ".join(extractor(path, deadline).split())[:MAX_TEXT]
    except Encrypted:
        return "", "encrypted"
    except Exception:  # noqa: BLE001  (a hostile or broken document must not fail the upload)
        log.info("text extraction failed for a %s", kind, exc_info=True)
        return "", "unreadable"
    return (text, "ok") if text.strip() else ("", "unreadable")


def _collect(parts, deadline: float):
    chunks, size = [], 0
    for part in parts:
        if time.monotonic() > deadline or size > MAX_TEXT:
            break
        chunks.append(part)
        size += len(part)
    return "\n".join(chunks)


def _pdf(path: Path, deadline: float) -> str:
    # imported when a document of this kind is read: the parsers add 0.3 s to every start
    from pypdf import PdfReader

    # An open file keeps pypdf from reading the whole document into memory.
    with path.open("rb") as file:
        reader = PdfReader(file, strict=False)
        if reader.is_encrypted and not opens_without_password(reader):
            raise Encrypted
        pages = (page.extract_text() or "" for page in reader.pages[:MAX_PAGES])
        return _collect(pages, deadline)


def _docx(path: Path, deadline: float) -> str:
    # imported when a document of this kind is read: the parsers add 0.3 s to every start
    import docx

    with zipfile.ZipFile(path) as archive:
        check_zip(archive)
        read_xml(archive, "word/document.xml")  # defused parse first: no entity tricks reach lxml
    document = docx.Document(str(path))
    paragraphs = (p.text for p in document.paragraphs)
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return _collect(list(paragraphs) + list(cells), deadline)


def _odt(path: Path, deadline: float) -> str:
    # imported when a document of this kind is read: the parsers add 0.3 s to every start
    from odf import teletype, text
    from odf.opendocument import load

    with zipfile.ZipFile(path) as archive:
        check_zip(archive)
        read_xml(archive, "content.xml")
    document = load(str(path))
    paragraphs = (teletype.extractText(p) for p in document.getElementsByType(text.P))
    return _collect(paragraphs, deadline)


def _txt(path: Path, deadline: float) -> str:
    with path.open("rb") as file:
        return decode_text(file.read(MAX_TEXT * 4))

"""Decide what a file is by parsing it, never by its name, its declared type or magic bytes alone.

Accepted: PDF, DOCX, ODT, RTF, TXT, PNG, JPEG. An HTML file that starts with "%PDF-" fools `file`;
here it fails to parse as a PDF and is refused. SVG and HTML are never accepted."""

import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

from app.errors import AppError, Invalid
from app.i18n import _

ACCEPTED = _("Accepted: PDF, Word (DOCX), OpenDocument text (ODT), RTF, plain text, PNG and JPEG.")
MAX_PIXELS = 40_000_000
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_TOTAL = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ODT_MIME = "application/vnd.oasis.opendocument.text"
MARKUP = re.compile(rb"^\s*(<\?xml|<!doctype\s+html|<html|<svg|<script|<head|<body|<iframe)", re.IGNORECASE)


class UnsupportedType(AppError):
    status_code = 415


@dataclass
class Detected:
    kind: str  # pdf | docx | odt | rtf | txt | png | jpeg
    content_type: str


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": ODT_MIME,
    "rtf": "application/rtf",
    "txt": "text/plain; charset=utf-8",
    "png": "image/png",
    "jpeg": "image/jpeg",
}


# What a file's name says it is, for the kinds that are documents: a file named so must be one.
DECLARED_BY_EXTENSION = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".docm": "docx",
    ".doc": "doc",
    ".odt": "odt",
    ".rtf": "rtf",
    ".xlsx": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
    ".pptx": "pptx",
    ".ppt": "ppt",
    ".odp": "odp",
}


def _kind_names() -> dict[str, str]:
    return {
        "pdf": _("a PDF document"),
        "docx": _("a Word document (DOCX)"),
        "doc": _("a Word 97–2003 document (DOC)"),
        "odt": _("an OpenDocument text (ODT)"),
        "rtf": _("an RTF document"),
        "xlsx": _("an Excel workbook"),
        "xls": _("an Excel workbook"),
        "ods": _("an OpenDocument spreadsheet"),
        "pptx": _("a PowerPoint presentation"),
        "ppt": _("a PowerPoint presentation"),
        "odp": _("an OpenDocument presentation"),
        "txt": _("plain text"),
        "png": _("a PNG image"),
        "jpeg": _("a JPEG image"),
    }


def _refuse(reason: str) -> UnsupportedType:
    return UnsupportedType(f"{reason} {ACCEPTED}")


def detect(path: Path, filename: str = "") -> Detected:
    """What the file is, from its content; a file whose name declares a document kind must be
    that kind (a ".docx" of plain text is refused, saying what it really is)."""
    with path.open("rb") as file:
        head = file.read(8192)
    if not head:
        raise Invalid(_("The file is empty."))
    declared = DECLARED_BY_EXTENSION.get(Path(filename.lower()).suffix)
    try:
        detected = _detect(path, head)
    except UnsupportedType as refusal:
        if declared and declared not in CONTENT_TYPES:
            raise _refuse(
                _("%(kind)s cannot be attached.", kind=_kind_names()[declared].capitalize())
            ) from refusal
        raise
    if declared and declared != detected.kind:
        names = _kind_names()
        raise _refuse(
            _(
                "“%(name)s” is named as %(declared)s, but its content is %(actual)s.",
                name=filename,
                declared=names[declared],
                actual=names[detected.kind],
            )
        )
    return detected


def _detect(path: Path, head: bytes) -> Detected:
    if head.startswith(b"%PDF-"):
        return _pdf(path)
    if head.startswith(b"PK\x03\x04"):
        return _zip_document(path)
    if head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff"):
        return _image(path)
    if head.startswith(b"{\\rtf1"):
        return Detected("rtf", CONTENT_TYPES["rtf"])
    return _text(path, head)


def _pdf(path: Path) -> Detected:
    try:
        # From an open file, not a path: given a path, pypdf reads the whole file into memory.
        with path.open("rb") as file:
            reader = PdfReader(file, strict=False)
            if reader.is_encrypted and not opens_without_password(reader):
                # Kept and downloadable; its text cannot be read, so it is not searchable.
                return Detected("pdf", CONTENT_TYPES["pdf"])
            if len(reader.pages) < 1:
                raise _refuse(_("This PDF has no pages."))
            reader.pages[0]  # noqa: B018  (parses the first page object)
    except UnsupportedType:
        raise
    except (
        PdfReadError,
        LimitReachedError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        OSError,
        RecursionError,
    ) as error:
        raise _refuse(_("This file starts like a PDF but is not a readable PDF.")) from error
    return Detected("pdf", CONTENT_TYPES["pdf"])


def opens_without_password(reader: PdfReader) -> bool:
    """An encrypted PDF that only restricts printing or copying opens with the empty password."""
    try:
        return bool(reader.decrypt(""))
    except (PyPdfError, NotImplementedError, ValueError, KeyError, TypeError):
        return False


def check_zip(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Refuse zip bombs, links and path tricks before anything is opened."""
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _refuse(_("The document holds too many parts."))
    total = 0
    for entry in entries:
        name = entry.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise _refuse(_("The document contains a part with an unsafe name."))
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise _refuse(_("The document contains a link."))
        total += entry.file_size
        if entry.file_size > MAX_ZIP_TOTAL or total > MAX_ZIP_TOTAL:
            raise _refuse(_("The document would unpack to more than 200 MB."))
        if entry.compress_size and entry.file_size / entry.compress_size > MAX_ZIP_RATIO:
            raise _refuse(_("The document is compressed suspiciously well (a zip bomb?)."))
    return entries


def check_real_sizes(path: Path, entries: list[zipfile.ZipInfo]) -> None:
    """Inflate every part while counting what really comes out: the sizes in the zip's headers
    are the sender's word, and a part that inflates past its declared size (or past the total
    limit) is refused before any parser sees it."""
    total = 0
    with path.open("rb") as file:
        for entry in entries:
            size = _inflated_size(file, entry, MAX_ZIP_TOTAL - total)
            total += size
            if size != entry.file_size:
                raise _refuse(_("The document's parts are not the size they declare."))
            if entry.compress_size and size / entry.compress_size > MAX_ZIP_RATIO:
                raise _refuse(_("The document is compressed suspiciously well (a zip bomb?)."))


def _inflated_size(file, entry: zipfile.ZipInfo, limit: int) -> int:
    file.seek(entry.header_offset)
    header = file.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _refuse(_("This file is a damaged or unsafe document."))
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    file.seek(entry.header_offset + 30 + name_length + extra_length)
    if entry.compress_type == zipfile.ZIP_STORED:
        return entry.compress_size
    if entry.compress_type != zipfile.ZIP_DEFLATED:
        raise _refuse(_("The document uses a compression that office software does not write."))
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    remaining, size = entry.compress_size, 0
    while remaining and not inflater.eof:
        pending = file.read(min(64 * 1024, remaining))
        if not pending:
            break
        remaining -= len(pending)
        while pending and not inflater.eof:
            size += len(inflater.decompress(pending, 64 * 1024))
            if size > limit:
                raise _refuse(_("The document would unpack to more than 200 MB."))
            pending = inflater.unconsumed_tail
    return size


def read_xml(archive: zipfile.ZipFile, name: str, limit: int = 50 * 1024 * 1024):
    """Parse an XML part with defusedxml: no DTDs, no entity expansion, no external entities."""
    with archive.open(name) as part:
        data = part.read(limit + 1)
    if len(data) > limit:
        raise _refuse(_("A part of the document is too large."))
    return SafeET.fromstring(data, forbid_dtd=True)


def _zip_document(path: Path) -> Detected:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = check_zip(archive)
            check_real_sizes(path, entries)
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                types = read_xml(archive, "[Content_Types].xml")
                declared = {element.get("ContentType", "") for element in types.iter()}
                if any("macroEnabled" in t for t in declared) or "word/vbaProject.bin" in names:
                    raise _refuse(_("Documents with macros are not accepted."))
                if DOCX_MAIN not in declared:
                    raise _refuse(_("This is not a Word document."))
                read_xml(archive, "word/document.xml")
                return Detected("docx", CONTENT_TYPES["docx"])
            if "mimetype" in names and "content.xml" in names:
                with archive.open("mimetype") as part:
                    mimetype = part.read(100).decode("ascii", "replace").strip()
                if mimetype != ODT_MIME:
                    raise _refuse(
                        _("Only OpenDocument text files are accepted, not other OpenDocument kinds.")
                    )
                read_xml(archive, "content.xml")
                return Detected("odt", CONTENT_TYPES["odt"])
    except UnsupportedType:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        struct.error,
        DefusedXmlException,
        SafeET.ParseError,
        KeyError,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
    ) as error:
        raise _refuse(_("This file is a damaged or unsafe document.")) from error
    raise _refuse(_("This archive is not a Word or OpenDocument text file."))


def _image(path: Path) -> Detected:
    try:
        with Image.open(path, formats=["PNG", "JPEG"]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(_("The image is too large (more than 40 megapixels)."))
            image.verify()
            kind = image.format.lower()
    except UnsupportedType:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise _refuse(_("This image could not be read.")) from error
    return Detected("jpeg" if kind == "jpeg" else "png", CONTENT_TYPES["jpeg" if kind == "jpeg" else "png"])


def _text(path: Path, head: bytes) -> Detected:
    if MARKUP.match(head):
        raise _refuse(_("HTML, SVG and XML files are not accepted."))
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(_("This file type is not accepted."))
    try:
        text = decode_text(path.read_bytes())
    except UnicodeDecodeError as error:
        raise _refuse(_("This file type is not accepted.")) from error
    printable = sum(1 for ch in text[:20000] if ch.isprintable() or ch in "\n\r\t")
    if text and printable / min(len(text), 20000) < 0.95:
        raise _refuse(_("This file type is not accepted."))
    if MARKUP.match(text[:2000].encode("utf-8", "replace")):
        raise _refuse(_("HTML, SVG and XML files are not accepted."))
    return Detected("txt", CONTENT_TYPES["txt"])


def decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")

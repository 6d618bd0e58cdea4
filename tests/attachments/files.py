"""Real documents made in the tests: what experts upload, and what attackers try."""

import io
import struct
import zipfile
import zlib


def pdf_with_text(text: str) -> bytes:
    """A minimal valid one-page PDF whose text pypdf extracts."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def docx_with_text(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt_with_text(text: str) -> bytes:
    from odf import text as odf_text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    document.text.addElement(odf_text.P(text=text))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


HTML_AS_PDF = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def zip_bomb_docx() -> bytes:
    """Looks like a DOCX; one member inflates 1,000-fold."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/padding.bin", b"\x00" * (20 * 1024 * 1024))
    return out.getvalue()


def docx_with_entity_expansion() -> bytes:
    """A "billion laughs" document.xml inside an otherwise plausible DOCX."""
    good = zipfile.ZipFile(io.BytesIO(docx_with_text("x")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "word/document.xml":
                data = (
                    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
                    b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><w:document>&lol2;</w:document>'
                )
            archive.writestr(item, data)
    return out.getvalue()


def docm_dressed_as_docx() -> bytes:
    good = zipfile.ZipFile(io.BytesIO(docx_with_text("macro")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml",
                    b"application/vnd.ms-word.document.macroEnabled.main+xml",
                )
            archive.writestr(item, data)
        archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake macro")
    return out.getvalue()


def zip_with_traversal() -> bytes:
    good = zipfile.ZipFile(io.BytesIO(docx_with_text("x")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in good.infolist():
            archive.writestr(item, good.read(item.filename))
        archive.writestr("../../evil.sh", b"rm -rf /")
    return out.getvalue()


def docx_with_lying_sizes() -> bytes:
    """A real DOCX with one more part whose headers (local and central) claim 1 KB while it
    inflates to 3 MB: within the ratio a bomb check reads from the headers."""
    good = zipfile.ZipFile(io.BytesIO(docx_with_text("Sizes that lie")))
    out = io.BytesIO()
    payload = b"".join(f"{n:08d} padding line of a report\n".encode() for n in range(90_000))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in good.infolist():
            archive.writestr(item, good.read(item.filename))
        archive.writestr("word/media/report.bin", payload)
    data = bytearray(out.getvalue())
    declared = struct.pack("<I", 1024)
    name = b"word/media/report.bin"
    local = data.find(name) - 30
    assert data[local : local + 4] == b"PK\x03\x04"
    data[local + 22 : local + 26] = declared
    central = data.find(b"PK\x01\x02", data.rfind(name) - 46)
    assert data[central + 46 : central + 46 + len(name)] == name
    data[central + 24 : central + 28] = declared
    return bytes(data)


def encrypted_pdf(text: str, user_password: str) -> bytes:
    """A PDF encrypted with AES-256; with an empty user password it opens for anyone (only
    printing and copying are restricted), with another it needs that password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(text))))
    writer.encrypt(user_password=user_password, owner_password="the owner's password", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

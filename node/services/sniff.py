"""What a file is, from its first bytes (never from its name or the type the client claims).
Pure: bytes in, a media type (or None) out."""

from __future__ import annotations

import io
import zipfile

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")

# The office formats an admin may allow (media.document_types), by extension.
DOCUMENTS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
EXTENSIONS = {media_type: ext for ext, media_type in DOCUMENTS.items()} | {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
_OOXML_FOLDERS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ZIP_ENTRIES = 5000


def image_type(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def document_type(data: bytes, name: str) -> str | None:
    """PDF, an Office Open XML or OpenDocument package (looked inside), or an old binary Office file
    (one container for all three: the name's extension says which)."""
    if data.startswith(b"%PDF-"):
        return DOCUMENTS["pdf"]
    if data.startswith(b"PK\x03\x04"):
        return _package_type(data)
    if data.startswith(_OLE):
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return DOCUMENTS[ext] if ext in ("doc", "xls", "ppt") else None
    return None


def _package_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            if len(names) > MAX_ZIP_ENTRIES:
                return None
            if "mimetype" in names:  # OpenDocument: the first entry names the type, stored uncompressed
                declared = package.read("mimetype")[:100].decode("ascii", "replace").strip()
                return declared if declared in DOCUMENTS.values() and "opendocument" in declared else None
            if "[Content_Types].xml" in names:
                for folder, ext in _OOXML_FOLDERS.items():
                    if any(entry.startswith(folder) for entry in names):
                        return DOCUMENTS[ext]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None


def sniff(data: bytes, name: str) -> str | None:
    """The media type of these bytes, or None when it is none we take."""
    return image_type(data[:16]) or document_type(data, name)

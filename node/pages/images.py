"""The image fields of the settings forms (a member's avatar and header, a group's icon and banner,
the organisation's logo): reading the chosen file and turning it into a stored image's hash."""

from __future__ import annotations

from starlette.datastructures import FormData

from node.services import media
from node.services.context import Node
from node.services.errors import ServiceError
from node.web import field, file_bytes, files

ACCEPT = "image/jpeg,image/png,image/gif,image/webp"


async def chosen(node: Node, form: FormData, name: str, purpose: str) -> str | None:
    """The hash of the image chosen in field `name`, cut to its purpose's shape; None when none was
    chosen. A refused file raises its ServiceError with the field's name (so the form marks it)."""
    chosen_files = files(form, name)
    if not chosen_files:
        return None
    upload = chosen_files[0]
    data = await file_bytes(upload, node.config["media.max_file_bytes"])
    try:
        return await media.upload_image(node, data, upload.filename or "", purpose)
    except ServiceError as error:
        error.field = name
        raise


def removed(form: FormData, name: str) -> bool:
    return field(form, f"remove_{name}") == "1"

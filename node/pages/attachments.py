"""The attachment part of the post forms (topic, reply, blog post, edit): files chosen in a few
slots, each with its description, and the uploads already made, kept across a form that comes
back with an error (a browser cannot fill a file input again, so nothing is uploaded twice)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from node.services import media
from node.services.errors import ServiceError
from node.web import field as form_field
from node.web import file_bytes, files, form_errors, node_of
from storage.db import Row

SLOTS = 3


@dataclass
class Chosen:
    rows: list[Any] = field(default_factory=list)  # media rows, or copies with the description as typed
    errors: dict[str, str] = field(default_factory=dict)
    status: int = 200
    slot_values: dict[str, str] = field(default_factory=dict)
    descriptions: dict[int, str] = field(default_factory=dict)  # of the edited post's attachments, as typed

    @property
    def media_ids(self) -> list[int]:
        return [int(row["id"]) for row in self.rows]


def _ids(form: FormData) -> list[int]:
    return [int(value) for value in form.getlist("media_id") if isinstance(value, str) and value.isdigit()]


async def take(request: Request, form: FormData, account: Row, post_id: int | None = None) -> Chosen:
    """The uploads the form keeps (with their descriptions as typed) and the files newly chosen,
    uploaded now. A file refused (type, size, damage) is an error on its slot; the others stay.
    post_id: the post being edited; its own attachments' descriptions are not written here but
    handed to posts.edit (`descriptions`), which makes a changed one part of the edit."""
    node = node_of(request)
    chosen = Chosen()
    for media_id in _ids(form):
        try:
            row: Any = media.own(node, account, media_id)
            if form_field(form, f"remove_{media_id}"):
                continue
            description = form_field(form, f"description_{media_id}")
            if post_id is not None and row["post_id"] == post_id:
                media.check_description(description)  # too long: an error at its field, as below
                chosen.descriptions[media_id] = description
                row = {**{key: row[key] for key in row.keys()}, "description": description}
            elif description != row["description"]:
                row = media.describe(node, account, media_id, description)
        except ServiceError as error:
            if error.status == 404:
                continue  # gone meanwhile (pruned): nothing to keep
            chosen.errors[f"description_{media_id}"] = form_errors(request, error).popitem()[1]
            chosen.status = max(chosen.status, error.status)
        chosen.rows.append(row)
    limit = node.config["media.max_file_bytes"]
    for slot in range(1, SLOTS + 1):
        description = form_field(form, f"alt_{slot}")
        uploads = files(form, f"file_{slot}")
        if not uploads:
            if description:
                chosen.slot_values[f"alt_{slot}"] = description
            continue
        try:
            data = await file_bytes(uploads[0], limit)
            chosen.rows.append(await media.upload(node, account, data, uploads[0].filename or "", description))
        except ServiceError as error:
            chosen.errors[f"file_{slot}"] = form_errors(request, error).popitem()[1]
            chosen.status = max(chosen.status, error.status)
            chosen.slot_values[f"alt_{slot}"] = description
    await form.close()
    return chosen


def context(request: Request, rows: Sequence[Any],
            slot_values: dict[str, str] | None = None) -> dict[str, Any]:
    """What the attachments macro needs: the uploads shown, the empty slots and the limits to tell."""
    config = node_of(request).config
    return {"attachments": {
        "items": rows, "slots": SLOTS, "values": slot_values or {},
        "max_files": config["media.max_files_per_post"], "max_mb": config["media.max_file_bytes"] // 1_000_000,
        "documents": ", ".join(ext.upper() for ext in config["media.document_types"]),
    }}

"""The node's TOML configuration, validated in full before anything starts.

Every key is declared once in SPEC with its type, default and check; a wrong
or unknown key raises ConfigError naming the key, which the CLI prints as one
line with exit code 2.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.localtime import zone_problem


class ConfigError(Exception):
    """A configuration key is missing, unknown or has a wrong value."""


Check = Callable[[Any], str | None]

HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")


def _one_of(*choices: str) -> Check:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)} (got {v!r})"


def _host(value: Any) -> str | None:
    return None if HOST.match(value) else f"must be a host name such as gemeente.example (got {value!r})"


def _port(value: Any) -> str | None:
    return None if 0 < value < 65536 else f"must be a port between 1 and 65535 (got {value})"


def _positive(value: Any) -> str | None:
    return None if value > 0 else f"must be greater than 0 (got {value})"


def _secret(value: Any) -> str | None:
    return None if len(value) >= 32 else "must be at least 32 characters long"


def _domains(value: Any) -> str | None:
    bad = [d for d in value if not isinstance(d, str) or not HOST.match(d)]
    return f"must be a list of domain names (bad: {bad!r})" if bad else None


def _address_or_network(entry: Any) -> bool:
    if not isinstance(entry, str):
        return False
    try:
        (ipaddress.ip_network if "/" in entry else ipaddress.ip_address)(entry)
    except ValueError:  # also a network with host bits set (10.0.0.1/8), which uvicorn would ignore
        return False
    return True


def proxies_problem(value: Any) -> str | None:
    bad = [entry for entry in value if not _address_or_network(entry)]
    return f"must be a list of IP addresses or networks such as 10.0.0.0/8 (bad: {bad!r})" if bad else None


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _level_or_empty(value: Any) -> str | None:
    return None if value == "" else _one_of(*LOG_LEVELS)(value)


DOCUMENT_TYPES = ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "doc", "xls", "ppt")


def _document_types(value: Any) -> str | None:
    unknown = [v for v in value if v not in DOCUMENT_TYPES]
    return f"unknown document type {unknown[0]!r}; choose from {', '.join(DOCUMENT_TYPES)}" if unknown else None


# section.key: (type, default or REQUIRED, check)
REQUIRED = object()
SPEC: dict[str, tuple[type, Any, Check | None]] = {
    "node.domain": (str, REQUIRED, _host),
    "node.name": (str, REQUIRED, None),
    "node.secret_key": (str, REQUIRED, _secret),
    "node.https": (bool, True, None),
    "node.default_language": (str, "nl", _one_of("nl", "en")),
    # Times on pages are shown in this zone's local time (node/localtime.py).
    "node.timezone": (str, "Europe/Amsterdam", zone_problem),
    "node.contact_email": (str, "", None),
    "node.handle": (str, "", lambda v: None if v == "" or re.match(r"^[a-z0-9_]{2,30}$", v)
                    else "must be 2 to 30 lower-case letters, digits or _"),
    "server.host": (str, "127.0.0.1", None),
    "server.port": (int, 8000, _port),
    # The reverse proxy on this machine; its X-Forwarded-For/-Proto are believed, nobody else's.
    "server.trusted_proxies": (list, ["127.0.0.1", "::1"], proxies_problem),
    "database.path": (str, "meent.db", None),
    "registration.mode": (str, "closed", _one_of("closed", "invite", "domains")),
    "registration.allowed_email_domains": (list, [], _domains),
    "limits.title_max": (int, 200, _positive),
    "limits.body_max": (int, 50_000, _positive),
    "limits.form_max_bytes": (int, 256_000, _positive),
    # Uploads and the cache of remote media (node/services/media.py); sizes in bytes.
    "media.path": (str, "media", None),
    "media.max_file_bytes": (int, 10_000_000, _positive),
    "media.max_post_bytes": (int, 40_000_000, _positive),
    "media.max_files_per_post": (int, 6, _positive),
    "media.max_pixels": (int, 50_000_000, _positive),  # a decoded image larger than this is a bomb
    "media.document_types": (list, ["pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp"], _document_types),
    "media.orphan_hours": (int, 24, _positive),
    "media.remote_max_bytes": (int, 8_000_000, _positive),
    "media.remote_cache_bytes": (int, 2_000_000_000, _positive),
    "media.remote_keep_days": (int, 30, _positive),
    "theme.tokens_css": (str, "", None),
    "theme.class_name": (str, "utrecht-theme meent-theme", None),  # without meent-theme: the Utrecht example
    "theme.assets_dir": (str, "", None),
    "federation.mode": (str, "open", _one_of("open", "allowlist")),
    "federation.allowed_domains": (list, [], _domains),
    "federation.blocked_domains": (list, [], _domains),
    "federation.allow_private_addresses": (bool, False, None),
    "federation.remote_posts_in_groups": (bool, True, None),
    "federation.retry_first_seconds": (int, 60, _positive),
    "federation.keep_done_days": (int, 7, _positive),
    "federation.keep_failed_days": (int, 30, _positive),
    # [mail] absent (no host): no e-mail at all; see mail_problem() for what needs it.
    "mail.host": (str, "", None),
    "mail.port": (int, 25, _port),
    "mail.security": (str, "none", _one_of("none", "starttls", "tls")),
    "mail.user": (str, "", None),
    "mail.password": (str, "", None),
    "mail.from": (str, "", None),
    "mail.retry_first_seconds": (int, 60, _positive),
    "mail.timeout_seconds": (int, 20, _positive),
    "log.level": (str, "warning", _one_of(*LOG_LEVELS)),
    "log.federation": (str, "", _level_or_empty),  # "": as log.level
    "log.delivery": (str, "", _level_or_empty),
}


def _issuer(value: Any) -> str | None:
    """https, or http on this machine only (tests and demos), as with node.https = false."""
    match = re.match(r"^(https?)://([^/:?#]+)(:[0-9]{1,5})?(/[^?#]*)?$", value)
    if match is None:
        return f"must be a URL such as https://login.example.nl/tenant/v2.0 (got {value!r})"
    if match.group(1) == "http" and match.group(2) not in ("127.0.0.1", "localhost"):
        return "must use https (plain http only for 127.0.0.1 and localhost)"
    return None


def _tenants(value: Any) -> str | None:
    bad = [t for t in value if not isinstance(t, str) or not t.strip()]
    return f"must be a list of tenant ids (bad: {bad!r})" if bad else None


def _label(value: Any) -> str | None:
    return None if 0 < len(value.strip()) <= 60 else "must be a button label of 1 to 60 characters"


# Arrays of tables ([[section.key]]): every entry is validated against its own spec.
TABLE_ARRAYS: dict[str, dict[str, tuple[type, Any, Check | None]]] = {
    "auth.oidc": {
        "name": (str, REQUIRED, _label),
        "issuer": (str, REQUIRED, _issuer),
        "client_id": (str, REQUIRED, lambda v: None if v else "must not be empty"),
        "client_secret": (str, "", None),
        "allowed_tenants": (list, [], _tenants),
    },
}


@dataclass(frozen=True)
class Config:
    values: dict[str, Any]
    path: Path | None = None
    base_dir: Path = field(default_factory=Path.cwd)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def base_url(self) -> str:
        scheme = "https" if self["node.https"] else "http"
        return f"{scheme}://{self['node.domain']}"

    @property
    def organisation_handle(self) -> str:
        """The organisation actor's name (@utrecht@utrecht.example): node.handle, else the first DNS label."""
        if self["node.handle"]:
            return str(self["node.handle"])
        label = str(self["node.domain"]).split(".")[0].split(":")[0]
        return label if re.match(r"^[a-z][a-z0-9_]{1,29}$", label) else "organisatie"

    def resolve(self, key: str) -> Path:
        """A path setting, relative to the config file's folder."""
        return (self.base_dir / self[key]).resolve()

    @property
    def mail_enabled(self) -> bool:
        """[mail] is configured: the node sends e-mail."""
        return bool(self["mail.host"])

    @property
    def database_path(self) -> Path:
        return self.resolve("database.path")

    @property
    def media_path(self) -> Path:
        """The folder of uploaded and cached files (content-addressed)."""
        return self.resolve("media.path")


def _type_name(kind: type) -> str:
    return {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}[kind]


def _check_value(name: str, kind: type, value: Any, check: Check | None) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{name}: must be {_type_name(kind)} (got {value!r})")
    problem = check(value) if check else None
    if problem:
        raise ConfigError(f"{name}: {problem}")


def _table_array(name: str, entries: Any) -> list[dict[str, Any]]:
    """[[name]] entries, each complete and checked; errors name the entry (auth.oidc[2].issuer)."""
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError(f"{name}: must be written as [[{name}]] tables")
    spec = TABLE_ARRAYS[name]
    result: list[dict[str, Any]] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{name}[{number}]"
        for key in entry:
            if key not in spec:
                raise ConfigError(f"{where}.{key}: unknown key")
        values: dict[str, Any] = {}
        for key, (kind, default, check) in spec.items():
            value = entry.get(key, default)
            if value is REQUIRED:
                raise ConfigError(f"{where}.{key}: missing (required)")
            _check_value(f"{where}.{key}", kind, value, check)
            values[key] = value
        result.append(values)
    names = [entry["name"] for entry in result]
    if len(set(names)) != len(names):
        raise ConfigError(f"{name}: every provider needs its own name (got {names!r})")
    return result


def validate(raw: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for section, body in raw.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{section}: must be a [{section}] table")
        for key in body:
            if f"{section}.{key}" not in SPEC and f"{section}.{key}" not in TABLE_ARRAYS:
                raise ConfigError(f"{section}.{key}: unknown key")
    for name in TABLE_ARRAYS:
        section, key = name.split(".", 1)
        values[name] = _table_array(name, raw.get(section, {}).get(key, []))
    for name, (kind, default, check) in SPEC.items():
        section, key = name.split(".", 1)
        value = raw.get(section, {}).get(key, default)
        if value is REQUIRED:
            raise ConfigError(f"{name}: missing (required)")
        _check_value(name, kind, value, check)
        values[name] = value
    problem = mail_problem(raw, values)
    if problem:
        raise ConfigError(problem)
    if values["node.https"] is False and values["node.domain"].split(":")[0] not in ("127.0.0.1", "localhost"):
        raise ConfigError("node.https: plain http is only allowed for 127.0.0.1 and localhost")
    return values


def mail_problem(raw: dict[str, Any], values: dict[str, Any]) -> str | None:
    """A [mail] table needs a host and a from-address; sign-up by e-mail domain needs [mail]."""
    if "mail" in raw:
        for key in ("host", "from"):
            if not values[f"mail.{key}"]:
                return f"mail.{key}: missing (required in a [mail] table)"
    elif values["registration.mode"] == "domains":
        return ('registration.mode: "domains" sends confirmation e-mails and needs a [mail] table '
                "(mail.host, mail.from); add it or choose another mode")
    return None


def load(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read config file ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return Config(validate(raw), path=path.resolve(), base_dir=path.resolve().parent)


def from_values(values: dict[str, dict[str, Any]], base_dir: Path) -> Config:
    """A Config from nested tables, as tests and `meent init` build it."""
    return Config(validate(values), base_dir=base_dir)


def to_toml(values: dict[str, dict[str, Any]]) -> str:
    """Write nested tables of simple values as TOML (no library writes TOML in the stdlib)."""
    lines: list[str] = []
    for section, body in values.items():
        lines.append(f"[{section}]")
        arrays: list[tuple[str, list[dict[str, Any]]]] = []
        for key, value in body.items():
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                arrays.append((key, value))
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
        for key, entries in arrays:
            for entry in entries:
                lines.append(f"[[{section}.{key}]]")
                lines.extend(f"{name} = {_toml_value(v)}" for name, v in entry.items())
                lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'

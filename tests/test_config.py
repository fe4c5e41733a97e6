import re
from pathlib import Path

import pytest

from node.config import ConfigError, load
from tests.helpers import meent

GOOD = """
[node]
domain = "meent.gemeente.example"
name = "Gemeente Voorbeeld"
secret_key = "0123456789abcdef0123456789abcdef0123"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_fill_what_is_left_out(tmp_path: Path) -> None:
    config = load(write(tmp_path, GOOD))
    assert config["registration.mode"] == "closed"
    assert config.base_url == "https://meent.gemeente.example"
    assert config.database_path == tmp_path / "meent.db"
    assert config["server.trusted_proxies"] == ["127.0.0.1", "::1"]  # a proxy on this machine
    assert config["log.level"] == "warning" and config["log.federation"] == ""


def test_proxies_and_log_levels(tmp_path: Path) -> None:
    config = load(write(tmp_path, GOOD + '[server]\ntrusted_proxies = ["10.1.2.3", "172.16.0.0/12", "fd00::/8"]\n'
                        '[log]\nlevel = "info"\ndelivery = "debug"\n'))
    assert config["server.trusted_proxies"] == ["10.1.2.3", "172.16.0.0/12", "fd00::/8"]
    assert (config["log.level"], config["log.delivery"]) == ("info", "debug")


def test_example_config_is_valid() -> None:
    config = load(Path(__file__).resolve().parent.parent / "config.example.toml")
    assert config["node.default_language"] == "nl"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[registration]\nmode = "everyone"\n', "registration.mode: must be one of closed, invite, domains"),
        ("[server]\nport = 70000\n", "server.port: must be a port"),
        ('[server]\nport = "80"\n', "server.port: must be a whole number"),
        ("[node.extra]\nx = 1\n", "node.extra: unknown key"),
        ("[limits]\ntitle_max = 0\n", "limits.title_max: must be greater than 0"),
        ("[colours]\nx = 1\n", "colours.x: unknown key"),
        ('[registration]\nallowed_email_domains = ["not a domain"]\n', "registration.allowed_email_domains"),
        ('[server]\ntrusted_proxies = ["10.0.0.1/8"]\n', "server.trusted_proxies: must be a list of IP addresses"),
        ('[server]\ntrusted_proxies = ["proxy.example"]\n', "server.trusted_proxies: must be a list"),
        ("[server]\ntrusted_proxies = [1]\n", "server.trusted_proxies: must be a list"),
        ('[log]\nlevel = "loud"\n', "log.level: must be one of debug, info, warning, error, critical"),
        ('[log]\nfederation = "WARNING"\n', "log.federation: must be one of debug, info"),
        ('[log]\nweb = "info"\n', "log.web: unknown key"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load(write(tmp_path, GOOD + extra))


def test_missing_required_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"node\.secret_key: missing"):
        load(write(tmp_path, GOOD.replace('secret_key = "0123456789abcdef0123456789abcdef0123"', "")))


def test_plain_http_only_on_loopback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="node.https"):
        load(write(tmp_path, GOOD.replace("[node]", "[node]\nhttps = false")))


def test_serve_with_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '[registration]\nmode = "everyone"\n')
    result = meent("serve", "--config", str(path), check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "registration.mode" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_bad_log_level_exits_2_with_one_line(tmp_path: Path) -> None:
    result = meent("serve", "--config", str(write(tmp_path, GOOD + '[log]\nlevel = "verbose"\n')), check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "log.level: must be one of" in result.stderr and "Traceback" not in result.stderr


def test_serve_with_missing_or_broken_file(tmp_path: Path) -> None:
    result = meent("serve", "--config", str(tmp_path / "nope.toml"), check=False)
    assert result.returncode == 2 and "not found" in result.stderr
    broken = write(tmp_path, "[node\n")
    result = meent("serve", "--config", str(broken), check=False)
    assert result.returncode == 2 and "not valid TOML" in result.stderr and "Traceback" not in result.stderr


OIDC = """
[[auth.oidc]]
name = "Gemeente-account"
issuer = "https://login.example.nl/tenant/v2.0"
client_id = "meent"
client_secret = "geheim"

[[auth.oidc]]
name = "Rijksportaal"
issuer = "http://127.0.0.1:9000"
client_id = "meent-2"
allowed_tenants = ["t-1"]
"""


def test_oidc_providers_are_an_array_of_tables(tmp_path: Path) -> None:
    providers = load(write(tmp_path, GOOD + OIDC))["auth.oidc"]
    assert [p["name"] for p in providers] == ["Gemeente-account", "Rijksportaal"]
    assert providers[0]["allowed_tenants"] == [] and providers[1]["client_secret"] == ""
    assert load(write(tmp_path, GOOD))["auth.oidc"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('client_id = "meent"\n', 'client_id = "meent"\nscope = "x"\n'), "auth.oidc[1].scope: unknown key"),
        (('issuer = "https://login.example.nl/tenant/v2.0"', 'issuer = "http://login.example.nl"'),
         "auth.oidc[1].issuer: must use https"),
        (('issuer = "https://login.example.nl/tenant/v2.0"', 'issuer = "login.example.nl"'),
         "auth.oidc[1].issuer: must be a URL"),
        (('client_id = "meent-2"\n', ""), "auth.oidc[2].client_id: missing"),
        (('allowed_tenants = ["t-1"]', 'allowed_tenants = "t-1"'), "auth.oidc[2].allowed_tenants: must be a list"),
        (('allowed_tenants = ["t-1"]', 'allowed_tenants = [1]'), "auth.oidc[2].allowed_tenants: must be a list"),
        (('name = "Rijksportaal"', 'name = "Gemeente-account"'), "auth.oidc: every provider needs its own name"),
        (("[[auth.oidc]]\nname = \"Rijks", "[auth.x]\nname = \"Rijks"), "auth.x: unknown key"),
    ],
)
def test_bad_oidc_entries_name_the_entry_and_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = OIDC.replace(*change, 1)
    assert text != OIDC
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(write(tmp_path, GOOD + text))


def test_a_single_oidc_table_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("auth.oidc: must be written as [[auth.oidc]] tables")):
        load(write(tmp_path, GOOD + '[auth.oidc]\nname = "x"\n'))


def test_serve_with_a_bad_oidc_issuer_exits_2_with_one_line(tmp_path: Path) -> None:
    text = OIDC.replace("https://login.example.nl/tenant/v2.0", "http://login.example.nl")
    result = meent("serve", "--config", str(write(tmp_path, GOOD + text)), check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "auth.oidc[1].issuer: must use https" in result.stderr

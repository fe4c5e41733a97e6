"""A real OpenID provider for the tests: panva's oidc-provider (tests/oidc_provider) on Node 22."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2 as httpx
from joserfc.jwk import RSAKey

from tests.federation_helpers import eventually
from tests.helpers import ROOT, free_port

PROVIDER_DIR = ROOT / "tests" / "oidc_provider"
NODE_BINARY = PROVIDER_DIR / "node_modules" / ".bin" / "node"
INSTALLED = PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json"
NAME = "Gemeente-account"
CLIENT_ID = "meent-test"
CLIENT_SECRET = "a-client-secret-for-the-tests-only-0123456789"
TENANT = "tenant-utrecht"
USERS = {
    "alice": {"name": "Alice de Vries", "email": "alice@gemeente.example", "email_verified": True,
              "department": "Burgerzaken", "job_title": "Adviseur", "tid": TENANT, "oid": "oid-alice"},
    "carol": {"name": "Carol Jansen", "email": "carol@gemeente.example", "email_verified": True,
              "tid": TENANT, "oid": "oid-carol"},
    "dave": {"name": "Dave Peters", "email": "dave@gemeente.example", "email_verified": True,
             "tid": TENANT, "oid": "oid-dave"},
    "mallory": {"name": "Mallory", "email": "mallory@elders.example", "email_verified": True,
                "tid": "tenant-elders", "oid": "oid-mallory"},
    "frank": {"name": "Frank Bos", "email": "frank@gemeente.example", "email_verified": True,
              "tid": TENANT, "oid": "oid-frank"},
    "erin": {"name": "Erin", "email": "erin@ander-domein.example", "email_verified": True,
             "tid": TENANT, "oid": "oid-erin"},
    "gijs": {"name": "Gijs Smit", "email": "gijs@gemeente.example", "email_verified": True,
             "tid": TENANT, "oid": "oid-gijs"},
    "hanna": {"name": "Hanna Kok", "email": "hanna@gemeente.example", "email_verified": True,
              "tid": TENANT, "oid": "oid-hanna"},
    "ivo": {"name": "Ivo Mulder", "email": "ivo@gemeente.example", "email_verified": True,
            "tid": TENANT, "oid": "oid-ivo"},
    "jet": {"name": "Jet Visser", "email": "jet@gemeente.example", "email_verified": True,
            "tid": TENANT, "oid": "oid-jet"},
}


class TamperingProxy:
    """A tiny loopback proxy in front of the provider: everything is passed on as it is, except that
    `tamper`, when set, may rewrite the ID token of the token endpoint's answers (as a provider
    gone wrong or a man in the middle would), so the callback handler meets it for real."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.tamper: Callable[[str], str] | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def relay(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_HEADERS]
                with httpx.Client(timeout=30) as client:
                    answer = client.request(self.command, proxy.upstream + self.path, headers=headers, content=body)
                content = answer.content
                if proxy.tamper is not None and self.path.split("?")[0] == "/token" and answer.status_code == 200:
                    tokens = json.loads(content)
                    tokens["id_token"] = proxy.tamper(tokens["id_token"])
                    content = json.dumps(tokens).encode()
                self.send_response(answer.status_code)
                for key, value in answer.headers.multi_items():
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}


class OpenIdProvider:
    """server.mjs on Node 22 behind a TamperingProxy (whose URL is the issuer); the test holds its
    signing key."""

    def __init__(self, folder: Path, redirect_uri: str) -> None:
        self.port = free_port()
        self.proxy = TamperingProxy(f"http://127.0.0.1:{self.port}")
        self.issuer = self.proxy.url
        self.key = RSAKey.generate_key(2048, parameters={"kid": "provider-key", "use": "sig", "alg": "RS256"},
                                       private=True)
        self.settings = folder / "provider.json"
        self.settings.write_text(json.dumps({
            "port": self.port, "issuer": self.issuer, "key": self.key.as_dict(private=True), "users": USERS,
            "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]}],
        }))
        self.log = folder / "provider.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([str(NODE_BINARY), "server.mjs", str(self.settings)], cwd=PROVIDER_DIR,
                                            stdout=log, stderr=subprocess.STDOUT)

        def answers() -> bool:
            try:
                return httpx.get(self.issuer + "/.well-known/openid-configuration", timeout=5).status_code == 200
            except httpx.TransportError:
                return False
        eventually(answers, timeout=30, what=f"oidc-provider on {self.issuer}")

    def stop(self) -> None:
        self.proxy.stop()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def disable(self, user: str) -> None:
        assert httpx.post(f"{self.issuer}/control/disable", params={"user": user}, timeout=10).status_code == 200



def provider_installed() -> bool:
    return NODE_BINARY.exists() and INSTALLED.exists()


def node_tables(port: int, folder: Path, provider: OpenIdProvider) -> dict[str, dict[str, Any]]:
    """A node's config on that port, logging in through the provider."""
    return {
        "node": {"domain": f"127.0.0.1:{port}", "name": "Gemeente Test", "secret_key": "s" * 40, "https": False},
        "server": {"port": port},
        "database": {"path": str(folder / "meent.db")},
        "registration": {"mode": "closed", "allowed_email_domains": ["gemeente.example", "elders.example"]},
        "auth": {"oidc": [{"name": NAME, "issuer": provider.issuer, "client_id": CLIENT_ID,
                           "client_secret": CLIENT_SECRET, "allowed_tenants": [TENANT]}]},
    }

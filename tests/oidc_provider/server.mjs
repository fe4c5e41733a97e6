// A real OpenID provider for Meent's sign-in tests: panva's oidc-provider on Node 22.
// Usage: node server.mjs SETTINGS.json. The settings (written by tests/oidc_helpers.py) give the port,
// the issuer (the URL of the tampering proxy in front, which forwards everything here),
// the signing key (a private JWK, so the test can also sign tokens the way this provider does),
// the clients and the test users. The log-in page is a plain form (login = a user's id); consent is
// granted at once. POST /control/disable?user=ID makes a user unknown, as when someone leaves.
import http from "node:http";
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const settings = JSON.parse(readFileSync(process.argv[2], "utf8"));
const issuer = settings.issuer;
const disabled = new Set();

const provider = new Provider(issuer, {
  clients: settings.clients.map((client) => ({
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    ...client,
  })),
  jwks: { keys: [settings.key] },
  cookies: { keys: ["meent-test-cookie-key-not-secret"] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "given_name", "family_name", "preferred_username", "department", "job_title", "tid", "oid"],
  },
  conformIdTokenClaims: false, // the profile claims in the ID token itself, as Entra does
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
  expiresWithSession: async () => false,
  async findAccount(_ctx, id) {
    const user = settings.users[id];
    if (!user || disabled.has(id)) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...user }) };
  },
});

function body(req) {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (chunk) => { data += chunk; });
    req.on("end", () => resolve(new URLSearchParams(data)));
  });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  if (details.prompt.name === "consent") {
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action === "login" && req.method === "POST") {
    const login = (await body(req)).get("login") || "";
    if (!settings.users[login]) {
      res.writeHead(400, { "content-type": "text/plain" });
      return res.end("unknown user");
    }
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html lang="en"><head><title>Test provider</title></head><body><main>
<h1>Test provider</h1><form method="post" action="/interaction/${uid}/login">
<label for="login">User</label> <input id="login" name="login"> <button type="submit">Sign in</button>
</form></main></body></html>`);
}

const callback = provider.callback();
http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
    if (match) return await interaction(req, res, match[1], match[2]);
    if (url.pathname === "/control/disable" && req.method === "POST") {
      disabled.add(url.searchParams.get("user"));
      res.writeHead(200, { "content-type": "application/json" });
      return res.end("{}");
    }
    return callback(req, res);
  } catch (error) {
    console.error(error);
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error));
  }
}).listen(settings.port, "127.0.0.1", () => console.log(`oidc-provider on ${issuer}`));

// An independent ActivityPub peer built on Fedify, for Meent's interop test (tests/test_fedify.py).
//
//   node peer.mjs PORT
//
// One actor, http://127.0.0.1:PORT/users/peer (acct:peer@127.0.0.1:PORT), with WebFinger, an
// inbox that records every activity whose HTTP signature Fedify verified, and its notes. The test
// steers it over a tiny JSON control API on the same server:
//   POST /control/follow   {target}                 -> {actor, follow}    Follow an acct: handle or URL
//   POST /control/unfollow {follow}                 -> {undo}             Undo(Follow) of a Follow we sent
//   POST /control/like     {object, to}             -> {like}             Like an object, sent to actor `to`
//   POST /control/reply    {inReplyTo, content, to} -> {note, create}     Create(Note) to `to` and Public
//   POST /control/thread   {context}                -> {items: [id, ...]} read a thread's collection
//   POST /control/flag     {account, object, content, to} -> {flag}       Flag [account, object] (Mastodon's shape) to `to`
//   GET  /control/inbox                             -> [activity, ...]    what arrived, as JSON-LD
// It prints "listening <url>" on stdout once it serves. Loopback only; for tests only.

import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import { randomUUID } from "node:crypto";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import {
  Activity, Collection, Create, Endpoints, Flag, Follow, Like, Note, Person, PUBLIC_COLLECTION, Undo,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getConsoleSink } from "@logtape/logtape";

const HOST = "127.0.0.1";
const PORT = Number(process.argv[2]);
if (!Number.isInteger(PORT) || PORT <= 0) {
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}
const ORIGIN = `http://${HOST}:${PORT}`;
const ME = "peer";

// Fedify logs through LogTape; warnings and errors go to stderr, where the test shows them on failure.
await configure({
  contextLocalStorage: new AsyncLocalStorage(), // Fedify logs with implicit contexts
  sinks: { stderr: getConsoleSink({ console: { ...console, debug: console.error, info: console.error,
                                               log: console.error, warn: console.error } }) },
  loggers: [
    { category: "fedify", lowestLevel: process.env.PEER_DEBUG ? "debug" : "warning", sinks: ["stderr"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});

// Fedify's WebFinger client always asks https://host/.well-known/webfinger for an acct: handle
// (@fedify/webfinger hard-codes the scheme; no option changes it), but a test node on loopback
// speaks plain http. So, for loopback only, https is rewritten to http before Fedify's fetch
// leaves the process. Everything else (JRD parsing, actor fetch, signing) stays Fedify's own.
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input);
  if (url.protocol !== "https:" || url.hostname !== HOST) return realFetch(input, init);
  url.protocol = "http:";
  return realFetch(new Request(url, new Request(input, init)));
};

// Keys live only in this process: one RSA key for HTTP signatures, one Ed25519 key for
// Object Integrity Proofs, as Fedify recommends for a real server.
const keyPairs = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), await generateCryptoKeyPair("Ed25519")];
const received = []; // every verified incoming activity, in order of arrival, as JSON-LD
const notes = new Map(); // our notes by id, so that others can fetch them
const follows = new Map(); // the Follows we sent, by id, to undo them

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  allowPrivateAddress: true, // the other side is on 127.0.0.1; Fedify refuses such addresses otherwise
  // No queue: sendActivity delivers at once and throws when delivery fails, so the control
  // call answers with the error instead of retrying in the background.
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKeys: keys.map((key) => key.cryptographicKey),
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === ME ? keyPairs : []));

federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, { id }) => notes.get(id) ?? null);

// One listener for every activity type: the peer only records; the test decides what it means.
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, async (_ctx, activity) => {
    received.push(await activity.toJsonLd({ format: "compact" }));
  });

// Fedify resolves an acct: handle through WebFinger and any URL by fetching it.
async function actorOf(ctx, reference) {
  const actor = await ctx.lookupObject(reference);
  if (actor?.id == null || actor.inboxId == null) throw new ControlError(404, `no actor found for ${reference}`);
  return actor;
}

const activityId = () => new URL(`/activities/${randomUUID()}`, ORIGIN);

async function follow(ctx, { target }) {
  const actor = await actorOf(ctx, target);
  const activity = new Follow({ id: activityId(), actor: ctx.getActorUri(ME), object: actor.id });
  follows.set(activity.id.href, activity);
  await ctx.sendActivity({ identifier: ME }, actor, activity);
  return { actor: actor.id.href, follow: activity.id.href };
}

// Undo(Follow) carries the Follow it takes back, as Mastodon and Fedify's own servers send it.
async function unfollow(ctx, { follow: followId }) {
  const original = follows.get(followId);
  if (original == null) throw new ControlError(404, `we sent no Follow ${followId}`);
  const actor = await actorOf(ctx, original.objectId.href);
  const activity = new Undo({ id: activityId(), actor: ctx.getActorUri(ME), object: original });
  await ctx.sendActivity({ identifier: ME }, actor, activity);
  return { undo: activity.id.href };
}

async function like(ctx, { object, to }) {
  const activity = new Like({ id: activityId(), actor: ctx.getActorUri(ME), object: new URL(object) });
  await ctx.sendActivity({ identifier: ME }, await actorOf(ctx, to), activity);
  return { like: activity.id.href };
}

async function reply(ctx, { inReplyTo, content, to }) {
  const recipient = await actorOf(ctx, to);
  const id = randomUUID();
  const note = new Note({
    id: ctx.getObjectUri(Note, { id }),
    attribution: ctx.getActorUri(ME),
    content,
    replyTarget: new URL(inReplyTo),
    tos: [recipient.id, PUBLIC_COLLECTION],
    published: Temporal.Now.instant(),
  });
  notes.set(id, note);
  const activity = new Create({ id: activityId(), actor: ctx.getActorUri(ME), object: note, tos: note.toIds });
  await ctx.sendActivity({ identifier: ME }, recipient, activity);
  return { note: note.id.href, create: activity.id.href };
}

// A thread's context collection (FEP-7888), page by page; each item is fetched and parsed, not just named.
async function thread(ctx, { context }) {
  const collection = await ctx.lookupObject(context);
  if (!(collection instanceof Collection)) throw new ControlError(404, `${context} is not a collection`);
  const items = [];
  for await (const item of ctx.traverseCollection(collection)) items.push(item.id?.href ?? null);
  return { items };
}

// A report as Mastodon sends one: object [the account, its posts], the reason in content.
async function flag(ctx, { account, object, content, to }) {
  const activity = new Flag({
    id: activityId(), actor: ctx.getActorUri(ME), objects: [new URL(account), new URL(object)], content,
  });
  await ctx.sendActivity({ identifier: ME }, await actorOf(ctx, to), activity);
  return { flag: activity.id.href };
}

class ControlError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Each control route: its action and the string fields its JSON body must have.
const CONTROL = {
  "POST /control/follow": [follow, ["target"]],
  "POST /control/unfollow": [unfollow, ["follow"]],
  "POST /control/like": [like, ["object", "to"]],
  "POST /control/reply": [reply, ["inReplyTo", "content", "to"]],
  "POST /control/thread": [thread, ["context"]],
  "POST /control/flag": [flag, ["account", "object", "content", "to"]],
};

async function control(request) {
  const route = `${request.method} ${new URL(request.url).pathname}`;
  if (route === "GET /control/inbox") return Response.json(received);
  if (CONTROL[route] == null) return Response.json({ error: `no control route ${route}` }, { status: 404 });
  const [action, needs] = CONTROL[route];
  try {
    const fields = await request.json().catch(() => null);
    const missing = needs.filter((name) => typeof fields?.[name] !== "string");
    if (missing.length) throw new ControlError(400, `the JSON body needs the strings ${missing.join(", ")}`);
    return Response.json(await action(federation.createContext(new URL(ORIGIN), undefined), fields));
  } catch (error) {
    console.error(`${route} failed:`, error);
    return Response.json({ error: error.message }, { status: error.status ?? 500 });
  }
}

// Node's http server speaks IncomingMessage, Fedify speaks the Fetch API: translate both ways.
async function toRequest(incoming) {
  const chunks = [];
  for await (const chunk of incoming) chunks.push(chunk);
  const body = ["GET", "HEAD"].includes(incoming.method) ? undefined : Buffer.concat(chunks);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    for (const item of [value].flat()) headers.append(name, item);
  }
  return new Request(new URL(incoming.url, ORIGIN), { method: incoming.method, headers, body });
}

async function handle(incoming, outgoing) {
  let response;
  try {
    const request = await toRequest(incoming);
    response = request.url.startsWith(`${ORIGIN}/control/`)
      ? await control(request)
      : await federation.fetch(request, { contextData: undefined });
  } catch (error) {
    console.error("request failed:", error);
    response = new Response("internal error", { status: 500 });
  }
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  outgoing.end(Buffer.from(await response.arrayBuffer()));
}

http.createServer(handle).listen(PORT, HOST, () => console.log(`listening ${ORIGIN}`));

// Log hygiene of the end-to-end run. The helpers remember every secret the
// tests see (API secrets and public keys, the management key, tokens,
// magic links); when a server stops, its whole output is scanned for them
// and for anything shaped like a key or token, and the test file fails if
// one is found (docs/security.md, "What is logged").
//
// node --test runs each test file in its own process, so this registry
// holds what one file saw.

const known = new Map(); // value -> what it is

// Token kinds: the API's register_, session_ and verify_ tokens (magic
// links carry verify_ tokens) and the admin console's own tokens, followed
// by their base64url body. The console's setup secret is hex.
const TOKEN = /(?:register|session|verify|consolesession|consoleinvite|consoleenrol)_[A-Za-z0-9_-]{16,}|setup_[0-9a-f]{16,}/g;
// An ApiKey or ApiSecret: <app>:public:<32 hex> or <app>:secret:<32 hex>.
const API_KEY = /[A-Za-z0-9][A-Za-z0-9-]*:(?:public|secret):[0-9a-f]{32}/g;

// Shorter values would match unrelated text; every secret here is longer.
const MIN_LENGTH = 16;

/** Remembers one secret value. */
export function remember(what, value) {
  if (typeof value === 'string' && value.length >= MIN_LENGTH && !known.has(value)) known.set(value, what);
}

/** Remembers an API key or secret and its random part. */
export function rememberKey(what, key) {
  remember(what, key);
  const parts = typeof key === 'string' ? key.split(':') : [];
  if (parts.length === 3) remember(`${what} (random part)`, parts[2]);
}

/** Remembers a token and its part after the prefix. */
export function rememberToken(token) {
  const cut = token.indexOf('_');
  const kind = token.slice(0, cut + 1);
  remember(`${kind} token`, token);
  remember(`${kind} token (without its prefix)`, token.slice(cut + 1));
}

/** Remembers every key and token in `text` (a body, a URL, an e-mail). */
export function rememberFrom(text) {
  if (typeof text !== 'string' || text === '') return;
  for (const [m] of text.matchAll(API_KEY)) rememberKey(/:secret:/.test(m) ? 'API secret' : 'public ApiKey', m);
  for (const [m] of text.matchAll(TOKEN)) rememberToken(m);
}

// The server prints two things on standard output on purpose, both
// documented (README, docs/security.md, docs/console.md):
//  - the admin console's one-time setup link, on a line of its own after
//    the banner line below, while the console has no administrator;
//  - in development mode, the well-known keys of the demo app "test".
// Exactly these lines are skipped; the same values anywhere else are
// leaks.
const SETUP_BANNER = /^ {2}to register the first administrator's passkey:$/;
const SETUP_LINK = /^ {2}https?:\/\/[^\s/]+\/console\/setup\?token=setup_[0-9a-f]+$/;
const DEV_KEY_LINES = new Set([
  '  App "test":  ApiKey: test:public:2e728aa5986f4ba8b073a5b28a939795',
  '             ApiSecret: test:secret:a679563b331846c79c20b114a4f56d02',
]);

function documentedException(line, previous) {
  return (SETUP_LINK.test(line) && SETUP_BANNER.test(previous)) || DEV_KEY_LINES.has(line);
}

/** A value shortened for a failure message. */
function clip(value) {
  return value.length > 24 ? `${value.slice(0, 20)}…` : value;
}

/**
 * Scans a server's output. Returns the findings as strings ("line N: what
 * 'value…'"), empty when the log is clean.
 */
export function scanLog(text) {
  const findings = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (documentedException(line, lines[i - 1] ?? '')) return;
    const found = new Set();
    for (const [value, what] of known) {
      if (line.includes(value)) found.add(`${what} '${clip(value)}'`);
    }
    for (const [m] of line.matchAll(TOKEN)) found.add(`something token-shaped '${clip(m)}'`);
    for (const [m] of line.matchAll(API_KEY)) found.add(`something key-shaped '${clip(m)}'`);
    for (const f of found) findings.push(`line ${i + 1}: ${f}`);
  });
  return findings;
}

// Per-file test fixture: one server (fresh database), one app, the Node SDK as
// the backend and, optionally, one headless browser on the test page.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, PasswordlessClient, RegisterOptions } from '@passwordlessdev/passwordless-nodejs';
import { startServer, createApp, dumpLogOnFailure, randomHex, rawRequest } from './server.js';
import { startPageServer, launchBrowser } from './browser.js';
import { rememberFrom } from './secrets.js';

/**
 * Registers before/after hooks and returns the (then filled) context:
 * {server, app, sdk, pages, browser, clientConfig(overrides)}.
 *
 * Options: `browser` launches Chromium on the test page; `pages` serves the
 * test page without a browser (implied by `browser`); `env` adds server
 * environment variables; `app` overrides fields of the app creation body.
 */
export function useSuite({ browser = false, pages = browser, env = {}, app = {} } = {}) {
  const ctx = {
    clientConfig(overrides = {}) {
      return { apiUrl: ctx.server.baseUrl, apiKey: ctx.app.apiKey1, ...overrides };
    },
  };
  dumpLogOnFailure(() => ctx.server);

  before(async () => {
    ctx.server = await startServer({ env });
    ctx.app = await createApp(ctx.server, undefined, app);
    ctx.sdk = watchSdk(new PasswordlessClient(ctx.app.apiSecret1, { baseUrl: ctx.server.baseUrl }));
    if (pages || browser) ctx.pages = await startPageServer();
    if (browser) ctx.browser = await launchBrowser(ctx.pages.url);
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.pages?.close();
    await ctx.server?.stop();
  });

  return ctx;
}

/**
 * A context like the suite's, but for another app on the same server and
 * browser: its own Node SDK and client config. Works with the helpers below.
 */
export function forApp(ctx, app) {
  const sub = {
    server: ctx.server,
    pages: ctx.pages,
    browser: ctx.browser,
    app,
    sdk: watchSdk(new PasswordlessClient(app.apiSecret1, { baseUrl: ctx.server.baseUrl })),
    clientConfig(overrides = {}) {
      return { apiUrl: ctx.server.baseUrl, apiKey: app.apiKey1, ...overrides };
    },
  };
  return sub;
}

/**
 * A raw request to a private endpoint with the app's ApiSecret header.
 * Returns {status, headers, text, json} as rawRequest does.
 */
export function privateApi(ctx, method, pathname, body) {
  return rawRequest(`${ctx.server.baseUrl}${pathname}`, {
    method,
    headers: {
      ApiSecret: ctx.app.apiSecret1,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body,
  });
}

/**
 * Remembers the tokens the Node SDK sends and receives, for the server log
 * check (secrets.js). Returns the SDK.
 */
function watchSdk(sdk) {
  // The SDK keeps its axios instance in a private field; this is test-only.
  const client = sdk._httpClient;
  client.interceptors.request.use((config) => {
    rememberFrom(`${config.url ?? ''}\n${JSON.stringify(config.data ?? '')}`);
    return config;
  });
  const seeResponse = (res) => rememberFrom(JSON.stringify(res?.data ?? ''));
  client.interceptors.response.use(
    (res) => {
      seeResponse(res);
      return res;
    },
    (err) => {
      seeResponse(err?.response);
      return Promise.reject(err);
    },
  );
  return sdk;
}

/**
 * Records the method and URL (relative to the base URL) of every request the
 * Node SDK instance makes from now on. Returns the (live) array.
 */
export function recordSdkRequests(sdk) {
  const seen = [];
  // The SDK keeps its axios instance in a private field; this is test-only.
  sdk._httpClient.interceptors.request.use((config) => {
    seen.push({ method: String(config.method).toUpperCase(), url: config.url });
    return config;
  });
  return seen;
}

export function newUser() {
  const id = randomHex(6);
  return { userId: `user-${id}`, email: `user-${id}@example.com` };
}

/** Creates a register_ token for the user through the Node SDK. */
export async function registerToken(ctx, user, extra = {}) {
  const opts = new RegisterOptions();
  Object.assign(opts, {
    userId: user.userId,
    username: user.email,
    displayName: `Test ${user.userId}`,
    aliases: [user.email],
    aliasHashing: false,
    ...extra,
  });
  const res = await ctx.sdk.createRegisterToken(opts);
  assert.match(res?.token ?? '', /^register_/, `register/token answered ${JSON.stringify(res)}`);
  return res.token;
}

/**
 * Full registration on a fresh virtual authenticator: register/token (SDK) →
 * browser register() → signin/verify (SDK). Returns {user, verified}.
 */
export async function registerUser(ctx, { user = newUser(), nickname = 'laptop', freshAuthenticator = true } = {}) {
  if (freshAuthenticator) await ctx.browser.newAuthenticator();
  const token = await registerToken(ctx, user);
  const res = await ctx.browser.client(ctx.clientConfig(), 'register', token, nickname);
  assertToken(res);
  const verified = await ctx.sdk.verifyToken(res.token);
  assert.ok(verified, 'verifyToken returned null for a fresh passkey_register token');
  return { user, verified };
}

/** Asserts a browser-client result is {token:'verify_…'}. */
export function assertToken(res) {
  assert.ok(res && typeof res.token === 'string', `expected {token}, got ${JSON.stringify(res)}`);
  assert.match(res.token, /^verify_/);
}

/** Asserts a browser-client result is {error} and returns the error. */
export function assertError(res) {
  assert.ok(res && res.error, `expected {error}, got ${JSON.stringify(res)}`);
  return res.error;
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard (not URL-safe) base64 with padding, non-empty. */
export function assertStdBase64(value, what = 'value') {
  assert.equal(typeof value, 'string', `${what} should be a string, got ${JSON.stringify(value)}`);
  assert.ok(value.length > 0, `${what} is empty`);
  assert.match(value, STD_BASE64, `${what} is not standard base64: ${value}`);
}

/** Standard base64 (CDP, verify tokens) → unpadded base64url (browser credential ids). */
export function toBase64Url(stdBase64) {
  return Buffer.from(stdBase64, 'base64').toString('base64url');
}

/** Asserts `promise` rejects with the Node SDK's ApiException; returns its details. */
export async function sdkRejects(promise, status, message = '') {
  let details;
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${err?.stack ?? err}`);
    details = err.details;
    assert.equal(details?.status, status, `${message} ${JSON.stringify(details)}`.trim());
    return true;
  });
  return details;
}

export function sameBytes(a, b) {
  return Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

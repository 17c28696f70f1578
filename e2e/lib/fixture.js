// Per-file test fixture: one server (fresh database), one app, the Node SDK as
// the backend and, optionally, one headless browser on the test page.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordlessClient, RegisterOptions } from '@passwordlessdev/passwordless-nodejs';
import { startServer, createApp, dumpLogOnFailure, randomHex } from './server.js';
import { startPageServer, launchBrowser } from './browser.js';

/**
 * Registers before/after hooks and returns the (then filled) context:
 * {server, app, sdk, pages, browser, clientConfig(overrides)}.
 */
export function useSuite({ browser = false } = {}) {
  const ctx = {
    clientConfig(overrides = {}) {
      return { apiUrl: ctx.server.baseUrl, apiKey: ctx.app.apiKey1, ...overrides };
    },
  };
  dumpLogOnFailure(() => ctx.server);

  before(async () => {
    ctx.server = await startServer();
    ctx.app = await createApp(ctx.server);
    ctx.sdk = new PasswordlessClient(ctx.app.apiSecret1, { baseUrl: ctx.server.baseUrl });
    if (browser) {
      ctx.pages = await startPageServer();
      ctx.browser = await launchBrowser(ctx.pages.url);
    }
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.pages?.close();
    await ctx.server?.stop();
  });

  return ctx;
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

export function sameBytes(a, b) {
  return Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

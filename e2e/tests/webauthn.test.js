// Passkey ceremonies driven by the official clients: the browser client
// (@passwordlessdev/passwordless-client 1.2.4) in headless Chromium with a
// virtual authenticator, and the Node SDK (@passwordlessdev/passwordless-nodejs
// 1.0.1) as the application backend.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GenerateAuthenticationTokenRequest } from '@passwordlessdev/passwordless-nodejs';
import {
  useSuite,
  newUser,
  registerToken,
  registerUser,
  assertToken,
  assertError,
  assertStdBase64,
  sameBytes,
} from '../lib/fixture.js';
import { management, rawRequest, randomHex } from '../lib/server.js';

const ctx = useSuite({ browser: true });

function assertSignin(verified, { user, credentialId }) {
  assert.ok(verified, 'verifyToken returned null for a fresh passkey_signin token');
  assert.equal(verified.success, true);
  assert.equal(verified.type, 'passkey_signin');
  assert.equal(verified.userId, user.userId);
  assert.equal(verified.purpose, 'sign-in');
  assert.equal(verified.rpId, 'localhost');
  assert.equal(verified.origin, ctx.pages.origin);
  assert.equal(verified.nickname, 'laptop');
  assertStdBase64(verified.credentialId, 'credentialId');
  assert.equal(verified.credentialId, credentialId, 'sign-in used a different credential than the one registered');
}

describe('registration', () => {
  it('registers a passkey and the verify token works exactly once', async () => {
    await ctx.browser.newAuthenticator();
    const user = newUser();
    const token = await registerToken(ctx, user);

    const res = await ctx.browser.client(ctx.clientConfig(), 'register', token, 'laptop');
    assertToken(res);

    const verified = await ctx.sdk.verifyToken(res.token);
    assert.ok(verified, 'verifyToken returned null');
    assert.equal(verified.success, true);
    assert.equal(verified.type, 'passkey_register');
    assert.equal(verified.userId, user.userId);
    assert.equal(verified.nickname, 'laptop');
    assert.equal(verified.origin, ctx.pages.origin);
    assert.equal(verified.rpId, 'localhost');
    assertStdBase64(verified.credentialId, 'credentialId');
    assert.ok(Date.parse(verified.expiresAt) > Date.now(), `expiresAt ${verified.expiresAt} is not in the future`);
    assert.ok(!Number.isNaN(Date.parse(verified.timestamp)), `timestamp ${verified.timestamp} is not a date`);

    const onAuthenticator = await ctx.browser.credentials();
    assert.equal(onAuthenticator.length, 1);
    assert.ok(
      sameBytes(verified.credentialId, onAuthenticator[0].credentialId),
      `credentialId ${verified.credentialId} is not the authenticator's ${onAuthenticator[0].credentialId}`,
    );
    assert.ok(onAuthenticator[0].isResidentCredential, 'the passkey should be discoverable (resident)');

    // Deliberate difference from the original server: verify tokens are single use.
    assert.equal(await ctx.sdk.verifyToken(res.token), null, 'a verify token must verify only once');
  });

  it('refuses a second registration of the same user on the same authenticator (excludeCredentials)', async () => {
    const { user, verified: first } = await registerUser(ctx);

    const again = await registerToken(ctx, user);
    const res = await ctx.browser.client(ctx.clientConfig(), 'register', again, 'laptop');
    const error = assertError(res);
    assert.equal(error.from, 'client', `expected the browser to refuse, got ${JSON.stringify(error)}`);
    assert.match(error.title, /already registered/i);
    assert.equal((await ctx.browser.credentials()).length, 1);

    // The same user on a second authenticator is fine and gets a new credential.
    await ctx.browser.newAuthenticator();
    const third = await registerToken(ctx, user);
    const ok = await ctx.browser.client(ctx.clientConfig(), 'register', third, 'phone');
    assertToken(ok);
    const second = await ctx.sdk.verifyToken(ok.token);
    assert.equal(second?.type, 'passkey_register');
    assert.equal(second.userId, user.userId);
    assert.equal(second.nickname, 'phone');
    assert.notEqual(second.credentialId, first.credentialId);
  });

  it('rejects a register/complete whose body Origin differs from the browser origin', async () => {
    await ctx.browser.newAuthenticator();
    const token = await registerToken(ctx, newUser());
    const res = await ctx.browser.client(ctx.clientConfig({ origin: 'https://evil.example' }), 'register', token, 'x');
    const error = assertError(res);
    assert.equal(error.from, 'server', JSON.stringify(error));
    assert.equal(error.status, 400, JSON.stringify(error));
    assert.equal(error.errorCode, 'fido2_invalid_registration', JSON.stringify(error));
  });

  it('rejects a bogus register token', async () => {
    const res = await ctx.browser.client(ctx.clientConfig(), 'register', 'register_bogus', 'x');
    const error = assertError(res);
    assert.equal(error.from, 'server', JSON.stringify(error));
    assert.equal(error.status, 400, JSON.stringify(error));
    assert.ok(
      ['invalid_token', 'invalid_token_format'].includes(error.errorCode),
      `unexpected errorCode: ${JSON.stringify(error)}`,
    );
    assert.equal(typeof error.title, 'string');
  });

  it('does not complete the same registration session twice', async () => {
    await ctx.browser.newAuthenticator();
    const token = await registerToken(ctx, newUser());
    const { result, requests } = await ctx.browser.capturing(['/register/complete'], () =>
      ctx.browser.client(ctx.clientConfig(), 'register', token, 'laptop'),
    );
    assertToken(result);
    assert.equal(requests.length, 1, 'expected exactly one register/complete request');

    const replay = await rawRequest(`${ctx.server.baseUrl}/register/complete`, {
      method: 'POST',
      headers: { ApiKey: ctx.app.apiKey1, 'Content-Type': 'application/json' },
      body: requests[0].body,
    });
    assert.ok(replay.status >= 400 && replay.status < 500, `replayed register/complete: ${replay.status} ${replay.text}`);
    assert.equal(replay.headers['content-type'], 'application/problem+json');
  });
});

describe('sign-in', () => {
  it('signs in by alias, by user id and with a discoverable credential', async () => {
    const { user, verified: registered } = await registerUser(ctx);
    const expected = { user, credentialId: registered.credentialId };

    const byAlias = await ctx.browser.client(ctx.clientConfig(), 'signinWithAlias', user.email);
    assertToken(byAlias);
    assertSignin(await ctx.sdk.verifyToken(byAlias.token), expected);

    const byId = await ctx.browser.client(ctx.clientConfig(), 'signinWithId', user.userId);
    assertToken(byId);
    assertSignin(await ctx.sdk.verifyToken(byId.token), expected);

    const discoverable = await ctx.browser.client(ctx.clientConfig(), 'signinWithDiscoverable');
    assertToken(discoverable);
    const verified = await ctx.sdk.verifyToken(discoverable.token);
    assertSignin(verified, expected);

    assert.equal(await ctx.sdk.verifyToken(discoverable.token), null, 'a verify token must verify only once');
  });

  it('does not complete the same sign-in session twice (no assertion replay)', async () => {
    const { user } = await registerUser(ctx);
    const { result, requests } = await ctx.browser.capturing(['/signin/complete'], () =>
      ctx.browser.client(ctx.clientConfig(), 'signinWithId', user.userId),
    );
    assertToken(result);
    assert.equal(requests.length, 1, 'expected exactly one signin/complete request');

    const replay = await rawRequest(`${ctx.server.baseUrl}/signin/complete`, {
      method: 'POST',
      headers: { ApiKey: ctx.app.apiKey1, 'Content-Type': 'application/json' },
      body: requests[0].body,
    });
    assert.ok(replay.status >= 400 && replay.status < 500, `replayed signin/complete: ${replay.status} ${replay.text}`);
    assert.equal(replay.headers['content-type'], 'application/problem+json');
  });

  it('rejects a sign-in whose body Origin differs from the browser origin', async () => {
    const { user } = await registerUser(ctx);
    const res = await ctx.browser.client(
      ctx.clientConfig({ origin: 'https://evil.example' }),
      'signinWithId',
      user.userId,
    );
    const error = assertError(res);
    assert.equal(error.from, 'server', JSON.stringify(error));
    assert.equal(error.status, 400, JSON.stringify(error));
    assert.equal(error.errorCode, 'signin_complete_error', JSON.stringify(error));
  });

  it('mints a generated sign-in token through the Node SDK', async () => {
    const user = newUser();
    const res = await ctx.sdk.generateAuthenticationToken(new GenerateAuthenticationTokenRequest(user.userId));
    assert.ok(res, 'generateAuthenticationToken returned null');
    assert.match(res.token, /^verify_/);
    const verified = await ctx.sdk.verifyToken(res.token);
    assert.ok(verified, 'verifyToken returned null');
    assert.equal(verified.success, true);
    assert.equal(verified.type, 'generated_signin');
    assert.equal(verified.userId, user.userId);
    assert.equal(verified.purpose, 'sign-in');
    assert.equal(verified.credentialId ?? null, null);
  });
});

describe('api keys seen from the browser client', () => {
  it('answers a wrong ApiKey with 401 the client can read', async () => {
    const res = await ctx.browser.client(
      ctx.clientConfig({ apiKey: `${ctx.app.appId}:public:${randomHex(16)}` }),
      'signinWithDiscoverable',
    );
    const error = assertError(res);
    assert.equal(error.from, 'server', JSON.stringify(error));
    assert.equal(error.status, 401, JSON.stringify(error));
    assert.equal(error.title, "A valid 'ApiKey' header is required.");
  });

  it('locks and unlocks a public key through the management API', async () => {
    const { user } = await registerUser(ctx);

    const list = await management(ctx.server, 'GET', `/admin/apps/${ctx.app.appId}/api-keys`);
    assert.equal(list.status, 200, list.text);
    const key = list.json.find((k) => k.apiKey === ctx.app.apiKey1);
    assert.ok(key, `apiKey1 not listed: ${list.text}`);
    assert.equal(key.type, 1);
    assert.equal(key.id, ctx.app.apiKey1.slice(-4));

    const lock = await management(ctx.server, 'POST', `/admin/apps/${ctx.app.appId}/api-keys/${key.id}/lock`);
    assert.equal(lock.status, 204, lock.text);
    try {
      const locked = await ctx.browser.client(ctx.clientConfig(), 'signinWithId', user.userId);
      const error = assertError(locked);
      assert.equal(error.from, 'server', JSON.stringify(error));
      assert.equal(error.status, 401, JSON.stringify(error));

      const after = await management(ctx.server, 'GET', `/admin/apps/${ctx.app.appId}/api-keys`);
      assert.equal(after.json.find((k) => k.id === key.id)?.isLocked, true);

      // The other public key of the app is unaffected.
      const other = await ctx.browser.client(ctx.clientConfig({ apiKey: ctx.app.apiKey2 }), 'signinWithId', user.userId);
      assertToken(other);
    } finally {
      const unlock = await management(ctx.server, 'POST', `/admin/apps/${ctx.app.appId}/api-keys/${key.id}/unlock`);
      assert.equal(unlock.status, 204, unlock.text);
    }

    const res = await ctx.browser.client(ctx.clientConfig(), 'signinWithId', user.userId);
    assertToken(res);
    const verified = await ctx.sdk.verifyToken(res.token);
    assert.equal(verified?.type, 'passkey_signin');
    assert.equal(verified.userId, user.userId);
  });
});

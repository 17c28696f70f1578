// The browser client's stepup() with preset, custom and unknown purposes
// (authentication configurations), and signinWithAutofill() (conditional
// mediation) in headless Chromium.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useSuite, registerUser, assertToken, assertError, privateApi } from '../lib/fixture.js';
import { rawRequest } from '../lib/server.js';

const ctx = useSuite({ browser: true });

/** Seconds between a verify token's timestamp and its expiresAt. */
function lifetime(verified) {
  return (Date.parse(verified.expiresAt) - Date.parse(verified.timestamp)) / 1000;
}

async function stepup(userId, purpose) {
  const { result, requests } = await ctx.browser.capturing(['/signin/begin'], () =>
    ctx.browser.client(ctx.clientConfig(), 'stepup', { signinMethod: { userId }, purpose }),
  );
  assertToken(result);
  assert.equal(requests.length, 1, 'expected exactly one signin/begin request');
  const verified = await ctx.sdk.verifyToken(result.token);
  assert.ok(verified, 'verifyToken returned null for a step-up token');
  assert.equal(verified.type, 'passkey_signin');
  assert.equal(verified.userId, userId);
  return { verified, begin: JSON.parse(requests[0].body) };
}

async function signinBegin(body) {
  const res = await rawRequest(`${ctx.server.baseUrl}/signin/begin`, {
    method: 'POST',
    headers: { ApiKey: ctx.app.apiKey1, 'Content-Type': 'application/json' },
    body: { RPID: 'localhost', Origin: ctx.pages.origin, ...body },
  });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

describe('stepup()', () => {
  it("gives purpose 'step-up' with the preset's 120 s lifetime", async () => {
    const { user } = await registerUser(ctx);

    const explicit = await stepup(user.userId, 'step-up');
    assert.equal(explicit.begin.purpose, 'step-up');
    assert.equal(explicit.verified.purpose, 'step-up');
    assert.equal(lifetime(explicit.verified), 120);

    // The client defaults the purpose to 'step-up'.
    const defaulted = await stepup(user.userId, undefined);
    assert.equal(defaulted.begin.purpose, 'step-up');
    assert.equal(defaulted.verified.purpose, 'step-up');
  });

  it('uses a custom purpose created through auth-configs/add', async () => {
    const { user } = await registerUser(ctx);

    const add = await privateApi(ctx, 'POST', '/auth-configs/add', {
      purpose: 'transfer',
      userVerificationRequirement: 'required',
      timeToLive: '00:05:00',
      performedBy: 'e2e',
    });
    assert.equal(add.status, 201, add.text);
    assert.equal(add.text, '', 'auth-configs/add answers 201 with an empty body');

    // The configuration drives the assertion options.
    const options = await signinBegin({ userId: user.userId, purpose: 'transfer' });
    assert.equal(options.data.userVerification, 'required');

    const { verified, begin } = await stepup(user.userId, 'transfer');
    assert.equal(begin.purpose, 'transfer');
    assert.equal(verified.purpose, 'transfer');
    assert.equal(lifetime(verified), 300);

    const list = await privateApi(ctx, 'GET', '/auth-configs/list?purpose=transfer');
    assert.equal(list.status, 200, list.text);
    const transfer = list.json.configurations.find((c) => c.purpose === 'transfer');
    assert.ok(transfer, list.text);
    assert.equal(transfer.userVerificationRequirement, 'required');
    assert.equal(transfer.timeToLive, 300);
    assert.equal(transfer.createdBy, 'e2e');
    assert.ok(!Number.isNaN(Date.parse(transfer.createdOn ?? '')), `createdOn: ${transfer.createdOn}`);
    assert.ok(!Number.isNaN(Date.parse(transfer.lastUsedOn ?? '')), `lastUsedOn not set: ${transfer.lastUsedOn}`);

    // A second add of the same purpose is refused.
    const again = await privateApi(ctx, 'POST', '/auth-configs/add', {
      purpose: 'transfer',
      performedBy: 'e2e',
    });
    assert.equal(again.status, 400, again.text);
    assert.equal(again.headers['content-type'], 'application/problem+json');
  });

  it("falls back to the 'sign-in' configuration for an unknown purpose", async () => {
    const { user } = await registerUser(ctx);
    const { verified, begin } = await stepup(user.userId, 'no-such-purpose');
    assert.equal(begin.purpose, 'no-such-purpose');
    assert.equal(verified.purpose, 'sign-in');
    assert.equal(lifetime(verified), 120);
  });

  it('is refused by the client without a signinMethod', async () => {
    const res = await ctx.browser.client(ctx.clientConfig(), 'stepup', { purpose: 'step-up' });
    const error = assertError(res);
    assert.equal(error.from, 'client', JSON.stringify(error));
    assert.equal(error.title, 'You need to provide the signinMethod');
  });
});

describe('signinWithAutofill()', () => {
  it('completes with conditional mediation and yields a verify token for the user', async (t) => {
    const { user, verified: registered } = await registerUser(ctx);

    // Without conditional mediation the client rejects before calling the
    // server, and the test would prove nothing about it: require support.
    const supported = await ctx.browser.page.evaluate(() => window.Passwordless.isAutofillSupported());
    t.diagnostic(`isAutofillSupported() = ${supported}`);
    assert.equal(supported, true, 'this Chromium does not support conditional mediation (isAutofillSupported() is false)');

    const res = await ctx.browser.page.evaluate(async (cfg) => {
      const p = new window.Passwordless.Client(cfg);
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => {
          p.abort();
          resolve({ timeout: true });
        }, 10000);
      });
      try {
        return await Promise.race([p.signinWithAutofill(), timeout]);
      } catch (err) {
        return { rejected: String(err?.message ?? err) };
      } finally {
        clearTimeout(timer);
      }
    }, ctx.clientConfig());

    assert.ok(!res.timeout, 'conditional mediation did not complete within 10 s');
    assertToken(res);
    const verified = await ctx.sdk.verifyToken(res.token);
    assert.ok(verified, 'verifyToken returned null for an autofill token');
    assert.equal(verified.type, 'passkey_signin');
    assert.equal(verified.userId, user.userId);
    assert.equal(verified.purpose, 'sign-in');
    assert.equal(verified.credentialId, registered.credentialId);
  });
});

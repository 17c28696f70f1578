// Wire-level checks with plain HTTP and the Node SDK (no browser): CORS,
// problem+json errors, the Origin requirement, single-use verify tokens and
// the management API's key listing.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordlessClient, GenerateAuthenticationTokenRequest, RegisterOptions } from '@passwordlessdev/passwordless-nodejs';
import { useSuite, newUser } from '../lib/fixture.js';
import { createApp, management, rawRequest, randomHex } from '../lib/server.js';

const ctx = useSuite();

const PAGE_ORIGIN = 'http://localhost:5173';

function assertProblem(res, status) {
  assert.equal(res.status, status, `HTTP ${res.status} ${res.text}`);
  assert.equal(res.headers['content-type'], 'application/problem+json', 'Content-Type must be exactly application/problem+json');
  assert.equal(res.headers['access-control-allow-origin'], '*', 'error responses need Access-Control-Allow-Origin: *');
  assert.ok(res.json, `body is not JSON: ${res.text}`);
  assert.equal(res.json.status, status);
  assert.equal(typeof res.json.title, 'string');
  assert.equal(typeof res.json.type, 'string');
  return res.json;
}

function post(pathname, headers, body) {
  return rawRequest(`${ctx.server.baseUrl}${pathname}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: PAGE_ORIGIN, ...headers },
    body,
  });
}

describe('CORS', () => {
  for (const endpoint of ['/register/begin', '/register/complete', '/signin/begin', '/signin/complete']) {
    it(`answers the browser client's preflight for ${endpoint}`, async () => {
      const res = await rawRequest(`${ctx.server.baseUrl}${endpoint}`, {
        method: 'OPTIONS',
        headers: {
          Origin: PAGE_ORIGIN,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'apikey,client-version,content-type',
        },
      });
      assert.ok(res.status >= 200 && res.status < 300, `preflight answered ${res.status} ${res.text}`);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      const allowHeaders = (res.headers['access-control-allow-headers'] || '')
        .toLowerCase()
        .split(',')
        .map((h) => h.trim());
      for (const h of ['apikey', 'client-version', 'content-type']) {
        assert.ok(
          allowHeaders.includes(h) || allowHeaders.includes('*'),
          `Access-Control-Allow-Headers "${res.headers['access-control-allow-headers']}" lacks ${h}`,
        );
      }
      const allowMethods = (res.headers['access-control-allow-methods'] || '').toUpperCase();
      assert.ok(/\bPOST\b/.test(allowMethods) || allowMethods.includes('*'), `Access-Control-Allow-Methods "${allowMethods}" lacks POST`);
    });
  }

  it('puts Access-Control-Allow-Origin on successful public responses', async () => {
    const res = await post('/signin/begin', { ApiKey: ctx.app.apiKey1 }, { RPID: 'localhost', Origin: PAGE_ORIGIN });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(res.json.session, /^session_/);
    assert.equal(typeof res.json.data.challenge, 'string');
    assert.equal(res.json.data.rpId, 'localhost');
  });
});

describe('errors', () => {
  it('requires Origin in the body of signin/begin', async () => {
    const body = assertProblem(await post('/signin/begin', { ApiKey: ctx.app.apiKey1 }, { RPID: 'localhost' }), 400);
    assert.equal(body.title, 'Origin is required.');
    assert.equal(body.errorCode ?? null, null);
  });

  it('answers a wrong ApiKey with a 401 problem', async () => {
    const body = assertProblem(
      await post('/signin/begin', { ApiKey: `${ctx.app.appId}:public:${randomHex(16)}` }, { RPID: 'localhost', Origin: PAGE_ORIGIN }),
      401,
    );
    assert.equal(body.title, "A valid 'ApiKey' header is required.");
  });

  it('answers a bad verify token with a problem+json the Node SDK understands', async () => {
    const wrongPrefix = assertProblem(await post('/signin/verify', { ApiSecret: ctx.app.apiSecret1 }, { token: 'invalid' }), 400);
    assert.equal(wrongPrefix.errorCode, 'invalid_token');

    const garbage = assertProblem(await post('/signin/verify', { ApiSecret: ctx.app.apiSecret1 }, { token: 'verify_bogus' }), 400);
    assert.ok(['invalid_token', 'invalid_token_format'].includes(garbage.errorCode), JSON.stringify(garbage));

    assert.equal(await ctx.sdk.verifyToken('invalid'), null);
    assert.equal(await ctx.sdk.verifyToken('verify_bogus'), null);
  });

  it('gives the Node SDK the problem details of a 401 (exact Content-Type)', async () => {
    const sdk = new PasswordlessClient(`${ctx.app.appId}:secret:${randomHex(16)}`, { baseUrl: ctx.server.baseUrl });
    const opts = new RegisterOptions();
    Object.assign(opts, { userId: 'u1', username: 'u1@example.com' });
    await assert.rejects(sdk.createRegisterToken(opts), (err) => {
      assert.equal(err.details?.status, 401, JSON.stringify(err.details));
      assert.equal(err.details.title, "A valid 'ApiSecret' header is required.", JSON.stringify(err.details));
      assert.notEqual(err.details.errorCode, 'unexpected_error', 'the SDK did not accept the Content-Type');
      return true;
    });
  });

  it('does not accept a verify token from another app', async () => {
    const res = await ctx.sdk.generateAuthenticationToken(new GenerateAuthenticationTokenRequest(newUser().userId));
    assert.match(res?.token ?? '', /^verify_/);
    const other = await createApp(ctx.server);
    const body = assertProblem(await post('/signin/verify', { ApiSecret: other.apiSecret1 }, { token: res.token }), 400);
    assert.equal(body.errorCode, 'invalid_token');
  });
});

describe('verify tokens', () => {
  it('verify a token only once', async () => {
    const user = newUser();
    const res = await ctx.sdk.generateAuthenticationToken(new GenerateAuthenticationTokenRequest(user.userId, 60));
    assert.match(res?.token ?? '', /^verify_/);

    const first = await post('/signin/verify', { ApiSecret: ctx.app.apiSecret1 }, { token: res.token });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.userId, user.userId);
    assert.equal(first.json.type, 'generated_signin');
    assert.equal(first.json.success, true);

    const second = await post('/signin/verify', { ApiSecret: ctx.app.apiSecret1 }, { token: res.token });
    assert.ok(second.status >= 400 && second.status < 500, `second verify answered ${second.status} ${second.text}`);
    assert.equal(second.headers['content-type'], 'application/problem+json');
    assert.equal(typeof second.json?.errorCode, 'string', `no errorCode: ${second.text}`);
  });
});

describe('management', () => {
  it('lists the four keys of a new app', async () => {
    const res = await management(ctx.server, 'GET', `/admin/apps/${ctx.app.appId}/api-keys`);
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json), res.text);
    assert.equal(res.json.length, 4, res.text);

    const publicKeys = res.json.filter((k) => k.type === 1);
    assert.deepEqual(publicKeys.map((k) => k.apiKey).sort(), [ctx.app.apiKey1, ctx.app.apiKey2].sort());
    for (const k of publicKeys) {
      assert.equal(k.id, k.apiKey.slice(-4));
      assert.deepEqual([...k.scopes].sort(), ['login', 'register']);
      assert.equal(k.isLocked, false);
    }

    const secrets = res.json.filter((k) => k.type === 2);
    assert.deepEqual(secrets.map((k) => k.id).sort(), [ctx.app.apiSecret1.slice(-4), ctx.app.apiSecret2.slice(-4)].sort());
    for (const k of secrets) {
      assert.ok(!k.apiKey.includes(ctx.app.apiSecret1.split(':')[2]), 'a secret must not be listed in full');
      assert.ok(!k.apiKey.includes(ctx.app.apiSecret2.split(':')[2]), 'a secret must not be listed in full');
      assert.deepEqual([...k.scopes].sort(), ['token_register', 'token_verify']);
    }
  });

  it('refuses the management API without the ManagementKey', async () => {
    const res = await rawRequest(`${ctx.server.baseUrl}/admin/apps/${ctx.app.appId}/api-keys`, {
      headers: { ManagementKey: randomHex(16) },
    });
    assertProblem(res, 401);
  });

  it('locks a public key: 401 on public endpoints until unlocked', async () => {
    const list = await management(ctx.server, 'GET', `/admin/apps/${ctx.app.appId}/api-keys`);
    const id = ctx.app.apiKey2.slice(-4);
    assert.ok(list.json.some((k) => k.id === id), list.text);
    const begin = () => post('/signin/begin', { ApiKey: ctx.app.apiKey2 }, { RPID: 'localhost', Origin: PAGE_ORIGIN });

    assert.equal((await management(ctx.server, 'POST', `/admin/apps/${ctx.app.appId}/api-keys/${id}/lock`)).status, 204);
    try {
      assertProblem(await begin(), 401);
    } finally {
      assert.equal((await management(ctx.server, 'POST', `/admin/apps/${ctx.app.appId}/api-keys/${id}/unlock`)).status, 204);
    }
    assert.equal((await begin()).status, 200);
  });
});

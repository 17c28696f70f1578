// The private (ApiSecret) API through the Node SDK
// (@passwordlessdev/passwordless-nodejs 1.0.1): aliases, credentials, users
// and tokens, with the browser client producing real passkeys; plus raw HTTP
// checks of the endpoints the Node SDK does not cover (users/list and count,
// auth-configs/list, events).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { GenerateAuthenticationTokenRequest } from '@passwordlessdev/passwordless-nodejs';
import {
  useSuite,
  forApp,
  newUser,
  registerUser,
  assertToken,
  assertError,
  assertStdBase64,
  privateApi,
  recordSdkRequests,
  sdkRejects,
  toBase64Url,
} from '../lib/fixture.js';
import { createApp, management, rawRequest, randomHex } from '../lib/server.js';

const ctx = useSuite({ browser: true });

// The SDK declares SetAliasRequest in its typings but does not export the
// class; this is the same shape (userId, aliases, hashing).
function setAliasRequest(userId, aliases = [], hashing = true) {
  return { userId, aliases, hashing };
}

const VIRTUAL_AAGUID = '01020304-0506-0708-0102-030405060708';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The stored alias hash: standard base64 of SHA-256(appId + alias). */
function aliasHash(appId, alias) {
  return createHash('sha256').update(appId + alias, 'utf8').digest('base64');
}

function byAlias(a, b) {
  return a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0;
}

function expectedAliases(userId, aliases, hashing) {
  return aliases
    .map((alias) => ({ userId, alias: aliasHash(ctx.app.appId, alias), plaintext: hashing ? null : alias }))
    .sort(byAlias);
}

/** listAliases reduced to the members the Node SDK models, in a stable order. */
async function listedAliases(sdk, userId) {
  const values = await sdk.listAliases(userId);
  assert.ok(Array.isArray(values), `listAliases returned ${JSON.stringify(values)}`);
  return values.map(({ userId: u, alias, plaintext }) => ({ userId: u, alias, plaintext })).sort(byAlias);
}

/** The browser's id of the single credential on the current authenticator (base64url). */
async function browserCredentialId() {
  const creds = await ctx.browser.credentials();
  assert.equal(creds.length, 1, `expected one credential on the authenticator, found ${creds.length}`);
  return toBase64Url(creds[0].credentialId);
}

function assertProblem(res, status) {
  assert.equal(res.status, status, `HTTP ${res.status} ${res.text}`);
  assert.equal(res.headers['content-type'], 'application/problem+json');
  assert.equal(res.json?.status, status, res.text);
  return res.json;
}

function assertLocalTimestamp(value, what) {
  assert.equal(typeof value, 'string', `${what}: ${JSON.stringify(value)}`);
  assert.ok(!Number.isNaN(Date.parse(value)), `${what} is not a date: ${value}`);
}

describe('aliases', () => {
  it('setAliases replaces the set; listAliases (userid= in lower case) shows hash and plaintext', async () => {
    const { user } = await registerUser(ctx);
    const requests = recordSdkRequests(ctx.sdk);

    assert.deepEqual(await listedAliases(ctx.sdk, user.userId), expectedAliases(user.userId, [user.email], false));
    assert.ok(
      requests.some((r) => r.method === 'GET' && r.url === `alias/list?userid=${user.userId}`),
      `the SDK did not call alias/list?userid=: ${JSON.stringify(requests)}`,
    );

    const plain = [`first-${randomHex(4)}@example.com`, `second-${randomHex(4)}`];
    const res = await ctx.sdk.setAliases(setAliasRequest(user.userId, plain, false));
    assert.equal(res.status, 204);
    assert.deepEqual(await listedAliases(ctx.sdk, user.userId), expectedAliases(user.userId, plain, false));

    const hashed = [`hashed-${randomHex(4)}@example.com`];
    await ctx.sdk.setAliases(setAliasRequest(user.userId, hashed, true));
    assert.deepEqual(await listedAliases(ctx.sdk, user.userId), expectedAliases(user.userId, hashed, true));

    // The raw list also names the tenant.
    const raw = await privateApi(ctx, 'GET', `/alias/list?userId=${encodeURIComponent(user.userId)}`);
    assert.equal(raw.status, 200, raw.text);
    assert.deepEqual(raw.json.values.map((v) => v.tenant), [ctx.app.appId]);

    // The new (hashed) alias signs in from the browser ...
    const signin = await ctx.browser.client(ctx.clientConfig(), 'signinWithAlias', hashed[0]);
    assertToken(signin);
    const verified = await ctx.sdk.verifyToken(signin.token);
    assert.equal(verified?.userId, user.userId);
    assert.equal(verified.type, 'passkey_signin');

    // ... while the replaced one no longer finds any credential.
    const old = await rawRequest(`${ctx.server.baseUrl}/signin/begin`, {
      method: 'POST',
      headers: { ApiKey: ctx.app.apiKey1, 'Content-Type': 'application/json' },
      body: { alias: user.email, RPID: 'localhost', Origin: ctx.pages.origin },
    });
    assert.equal(old.status, 200, old.text);
    assert.deepEqual(old.json.data.allowCredentials ?? [], [], 'a replaced alias must not resolve to the user');

    // An empty list clears the aliases.
    await ctx.sdk.setAliases(setAliasRequest(user.userId, [], false));
    assert.deepEqual(await listedAliases(ctx.sdk, user.userId), []);
  });

  it("refuses to take another user's alias: ApiException 409 alias_conflict, nothing changes", async () => {
    const { user: owner } = await registerUser(ctx);
    const other = newUser();
    await ctx.sdk.setAliases(setAliasRequest(other.userId, [other.email], false));

    const details = await sdkRejects(
      ctx.sdk.setAliases(setAliasRequest(other.userId, [`extra-${randomHex(4)}`, owner.email], false)),
      409,
    );
    assert.equal(details.errorCode, 'alias_conflict', JSON.stringify(details));

    assert.deepEqual(await listedAliases(ctx.sdk, owner.userId), expectedAliases(owner.userId, [owner.email], false));
    assert.deepEqual(await listedAliases(ctx.sdk, other.userId), expectedAliases(other.userId, [other.email], false));
  });
});

describe('credentials', () => {
  it('listCredentials describes the browser passkey', async () => {
    const { user, verified } = await registerUser(ctx, { nickname: 'laptop' });
    const id = await browserCredentialId();
    const requests = recordSdkRequests(ctx.sdk);

    const creds = await ctx.sdk.listCredentials(user.userId);
    assert.ok(
      requests.some((r) => r.method === 'GET' && r.url === `credentials/list?userid=${user.userId}`),
      `the SDK did not call credentials/list?userid=: ${JSON.stringify(requests)}`,
    );
    assert.equal(creds.length, 1, JSON.stringify(creds));
    const [c] = creds;

    assert.equal(c.descriptor?.type, 'public-key');
    assert.match(c.descriptor.id, BASE64URL, `descriptor.id is not unpadded base64url: ${c.descriptor.id}`);
    assert.equal(c.descriptor.id, id, 'descriptor.id is not the browser credential id');
    assert.equal(toBase64Url(verified.credentialId), id);

    assertStdBase64(c.publicKey, 'publicKey');
    assertStdBase64(c.userHandle, 'userHandle');
    assert.equal(Buffer.from(c.userHandle, 'base64').toString('utf8'), user.userId, 'userHandle is not UTF-8(userId)');

    assert.equal(c.userId, user.userId);
    assert.equal(c.rpid, 'localhost');
    assert.equal(c.origin, ctx.pages.origin);
    assert.equal(c.nickname, 'laptop');
    assert.equal(c.aaGuid, VIRTUAL_AAGUID);
    assert.equal(c.isDiscoverable, true);
    assert.equal(c.attestationFmt, 'none');
    assert.equal(typeof c.signatureCounter, 'number');
    assert.equal(typeof c.backupState, 'boolean');
    assert.equal(typeof c.isBackupEligible, 'boolean');
    assertLocalTimestamp(c.createdAt, 'createdAt');
    assertLocalTimestamp(c.lastUsedAt, 'lastUsedAt');

    // An unknown user has no credentials (not an error).
    assert.deepEqual(await ctx.sdk.listCredentials(`nobody-${randomHex(4)}`), []);
  });

  it('deleteCredential removes it; a sign-in with the still-resident key is unknown_credential', async () => {
    const { user } = await registerUser(ctx);
    const [c] = await ctx.sdk.listCredentials(user.userId);
    assert.ok(c, 'no credential listed');

    const res = await ctx.sdk.deleteCredential(new Uint8Array(Buffer.from(c.descriptor.id, 'base64url')));
    assert.equal(res.status, 204);
    assert.deepEqual(await ctx.sdk.listCredentials(user.userId), []);

    // The key is still on the authenticator: allowCredentials is [], so Chrome
    // offers the resident key and the server has to refuse it.
    assert.equal((await ctx.browser.credentials()).length, 1);
    const signin = await ctx.browser.client(ctx.clientConfig(), 'signinWithId', user.userId);
    const error = assertError(signin);
    assert.equal(error.from, 'server', JSON.stringify(error));
    assert.equal(error.status, 400, JSON.stringify(error));
    assert.equal(error.errorCode, 'unknown_credential', JSON.stringify(error));
    assert.equal(error.credentialId, c.descriptor.id, JSON.stringify(error));
  });
});

describe('users', () => {
  it('deleteUser removes the credentials and aliases', async () => {
    const { user } = await registerUser(ctx);
    assert.equal((await ctx.sdk.listCredentials(user.userId)).length, 1);
    assert.equal((await ctx.sdk.listAliases(user.userId)).length, 1);

    const res = await ctx.sdk.deleteUser(user.userId);
    assert.equal(res.status, 200);
    assert.equal(res.data, '', 'users/delete answers 200 with an empty body');

    assert.deepEqual(await ctx.sdk.listCredentials(user.userId), []);
    assert.deepEqual(await ctx.sdk.listAliases(user.userId), []);
    const list = await privateApi(ctx, 'GET', '/users/list');
    assert.ok(!list.json.values.some((u) => u.userId === user.userId), 'deleted user still in users/list');
  });

  it('GET /users/list and /users/count', async () => {
    const before = await privateApi(ctx, 'GET', '/users/count');
    assert.equal(before.status, 200, before.text);
    assert.equal(typeof before.json.count, 'number', before.text);

    const { user } = await registerUser(ctx);
    const hashedOnly = newUser();
    await ctx.sdk.setAliases(setAliasRequest(hashedOnly.userId, [hashedOnly.email], true));

    const after = await privateApi(ctx, 'GET', '/users/count');
    assert.deepEqual(after.json, { count: before.json.count + 1 }, 'users/count counts users with credentials only');

    const list = await privateApi(ctx, 'GET', '/users/list');
    assert.equal(list.status, 200, list.text);
    assert.ok(Array.isArray(list.json?.values), list.text);

    const entry = list.json.values.find((u) => u.userId === user.userId);
    assert.ok(entry, `registered user missing from ${list.text}`);
    assert.equal(entry.aliasCount, 1);
    assert.deepEqual(entry.aliases, [user.email]);
    assert.equal(entry.credentialsCount, 1);
    assertLocalTimestamp(entry.lastUsedAt, 'lastUsedAt');

    const aliasOnly = list.json.values.find((u) => u.userId === hashedOnly.userId);
    assert.ok(aliasOnly, `user with only an alias missing from ${list.text}`);
    assert.deepEqual(
      { aliasCount: aliasOnly.aliasCount, aliases: aliasOnly.aliases, credentialsCount: aliasOnly.credentialsCount, lastUsedAt: aliasOnly.lastUsedAt },
      { aliasCount: 1, aliases: [null], credentialsCount: 0, lastUsedAt: null },
    );
  });
});

describe('tokens', () => {
  it('generateAuthenticationToken honours timeToLive; verifyToken works once', async () => {
    const user = newUser();
    const res = await ctx.sdk.generateAuthenticationToken(new GenerateAuthenticationTokenRequest(user.userId, 60));
    assert.match(res?.token ?? '', /^verify_/);

    const verified = await ctx.sdk.verifyToken(res.token);
    assert.ok(verified, 'verifyToken returned null');
    assert.equal(verified.success, true);
    assert.equal(verified.type, 'generated_signin');
    assert.equal(verified.userId, user.userId);
    assert.equal(verified.purpose, 'sign-in');
    assert.match(verified.tokenId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal((Date.parse(verified.expiresAt) - Date.parse(verified.timestamp)) / 1000, 60);

    assert.equal(await ctx.sdk.verifyToken(res.token), null);
  });

  it('generateAuthenticationToken hides errors as null', async () => {
    assert.equal(await ctx.sdk.generateAuthenticationToken(new GenerateAuthenticationTokenRequest('')), null);
    assert.equal(
      await ctx.sdk.generateAuthenticationToken(new GenerateAuthenticationTokenRequest(newUser().userId, 604801)),
      null,
    );
  });
});

describe('authentication configurations', () => {
  it('lists the presets and records lastUsedOn after a sign-in', async () => {
    const other = forApp(ctx, await createApp(ctx.server));
    const list = async () => {
      const res = await privateApi(other, 'GET', '/auth-configs/list');
      assert.equal(res.status, 200, res.text);
      assert.ok(Array.isArray(res.json?.configurations), res.text);
      return res.json.configurations;
    };

    const presets = await list();
    assert.deepEqual(presets.map((c) => c.purpose).sort(), ['sign-in', 'step-up']);
    for (const c of presets) {
      assert.deepEqual(
        { ...c },
        {
          purpose: c.purpose,
          userVerificationRequirement: 'preferred',
          timeToLive: 120,
          hints: '',
          createdBy: 'System',
          createdOn: null,
          editedBy: null,
          editedOn: null,
          lastUsedOn: null,
        },
      );
    }

    const { user } = await registerUser(other);
    const signin = await ctx.browser.client(other.clientConfig(), 'signinWithId', user.userId);
    assertToken(signin);
    assert.equal((await other.sdk.verifyToken(signin.token))?.purpose, 'sign-in');

    const after = await list();
    const signIn = after.find((c) => c.purpose === 'sign-in');
    const stepUp = after.find((c) => c.purpose === 'step-up');
    assert.ok(signIn && stepUp, JSON.stringify(after));
    assert.ok(!Number.isNaN(Date.parse(signIn.lastUsedOn ?? '')), `sign-in lastUsedOn not set: ${JSON.stringify(signIn)}`);
    assert.ok(Date.now() - Date.parse(signIn.lastUsedOn) < 60_000, `lastUsedOn ${signIn.lastUsedOn} is not recent`);
    assert.equal(signIn.timeToLive, 120);
    assert.equal(stepUp.lastUsedOn, null);

    const filtered = await privateApi(other, 'GET', '/auth-configs/list?purpose=step-up');
    assert.equal(filtered.status, 200, filtered.text);
    assert.deepEqual(filtered.json.configurations.map((c) => c.purpose), ['step-up']);
  });
});

describe('events', () => {
  const FEATURES = { eventLoggingRetentionPeriod: 7, magicLinkEmailMonthlyQuota: 100 };

  it('are refused with 403 until event logging is enabled, then list what happened', async () => {
    const app = await createApp(ctx.server);
    const other = forApp(ctx, app);

    assertProblem(await privateApi(other, 'GET', '/events?pageNumber=1'), 403);

    const on = await management(ctx.server, 'POST', `/admin/apps/${app.appId}/features`, {
      eventLoggingIsEnabled: true,
      ...FEATURES,
    });
    assert.equal(on.status, 204, on.text);
    const features = await management(ctx.server, 'GET', `/admin/apps/${app.appId}/features`);
    assert.equal(features.json?.eventLoggingIsEnabled, true, features.text);
    assert.equal(features.json.eventLoggingRetentionPeriod, 7, features.text);

    const { user } = await registerUser(other);
    const signin = await ctx.browser.client(other.clientConfig(), 'signinWithId', user.userId);
    assertToken(signin);
    assert.ok(await other.sdk.verifyToken(signin.token));
    await other.sdk.setAliases(setAliasRequest(user.userId, [`events-${randomHex(4)}`], true));

    const res = await privateApi(other, 'GET', '/events?pageNumber=1');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.tenantId, app.appId);
    const { events } = res.json;
    assert.ok(Array.isArray(events) && events.length > 0, res.text);
    assert.ok(res.json.totalEventCount >= events.length, res.text);

    const types = new Set(events.map((e) => e.eventType));
    for (const t of [
      'ApiAuthUserRegistered',
      'ApiAuthPasskeyRegistrationBegan',
      'ApiAuthPasskeyRegistrationCompleted',
      'ApiUserSignInCompleted',
      'ApiUserSignInVerified',
      'ApiUserSetAliases',
    ]) {
      assert.ok(types.has(t), `no ${t} event in ${[...types].join(', ')}`);
    }

    const registered = events.find((e) => e.eventType === 'ApiAuthUserRegistered');
    assert.equal(registered.message, `Created registration token for ${user.userId}`);
    assert.equal(registered.performedBy, user.userId);
    assert.equal(registered.tenantId, app.appId);
    assert.equal(registered.subject, app.appId);
    assert.equal(registered.severity, 'Informational');
    assert.equal(registered.apiKeyId, app.apiSecret1.slice(-4));
    assertLocalTimestamp(registered.performedAt, 'performedAt');

    const times = events.map((e) => Date.parse(e.performedAt));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'events must be newest first');

    const paged = await privateApi(other, 'GET', '/events?pageNumber=1&numberOfResults=2');
    assert.equal(paged.status, 200, paged.text);
    assert.equal(paged.json.events.length, 2);
    assert.equal(paged.json.totalEventCount, res.json.totalEventCount);

    const off = await management(ctx.server, 'POST', `/admin/apps/${app.appId}/features`, {
      eventLoggingIsEnabled: false,
      ...FEATURES,
    });
    assert.equal(off.status, 204, off.text);
    assertProblem(await privateApi(other, 'GET', '/events?pageNumber=1'), 403);
  });
});

// The admin console and the demo in headless Chromium with a virtual
// authenticator: bootstrap the first administrator from the setup link the
// server prints, sign out and back in with the passkey, create an app and
// keys, register a user through the demo, see today's numbers in the usage
// charts, manage that user's passkey, toggle a feature and read the event
// log. The server runs in development mode (the demo of app "test" is open
// there).

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PasswordlessClient } from '@passwordlessdev/passwordless-nodejs';
import { useSuite } from '../lib/fixture.js';
import { REPO_ROOT } from '../lib/server.js';

const ctx = useSuite({ browser: true, env: { PASSWORDLESS_DEV: 'true' } });
const ARTIFACTS = path.join(REPO_ROOT, 'e2e', 'artifacts');
const APP = 'shopdemo';

/** The one-time setup link the server printed at start. */
async function setupLink() {
  for (let i = 0; i < 50; i++) {
    const log = fs.readFileSync(ctx.server.logFile, 'utf8');
    const m = log.match(/http:\/\/localhost:\d+\/console\/setup\?token=setup_[0-9a-f]+/);
    if (m) return m[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server printed no console setup link');
}

const consoleUrl = (p) => `http://localhost:${ctx.server.port}/console${p}`;

// The demo page loads the official browser client from a CDN, pinned and
// with an integrity hash. The browser here has no internet, so the CDN URL
// is answered with the npm package's own file: the browser then checks the
// page's hash against the bytes of @passwordlessdev/passwordless-client.
const DEMO_PAGE = fs.readFileSync(path.join(REPO_ROOT, 'demo', 'index.html'), 'utf8');
const CDN_TAG = DEMO_PAGE.match(/<script src="(https:\/\/cdn\.jsdelivr\.net\/[^"]+)" integrity="([^"]+)" crossorigin="anonymous"/);
const CLIENT_FILE = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@passwordlessdev/passwordless-client/package.json')),
  'dist',
  'umd',
  'passwordless.umd.min.js',
);
const cdn = { url: CDN_TAG?.[1], mode: 'npm', requests: 0 };

describe('admin console', () => {
  const state = {};

  before(async () => {
    assert.ok(CDN_TAG, 'demo/index.html has no pinned CDN script with integrity and crossorigin');
    await ctx.browser.context.route(cdn.url, (route) => {
      cdn.requests++;
      if (cdn.mode === 'offline') return route.abort('internetdisconnected');
      let body = fs.readFileSync(CLIENT_FILE);
      if (cdn.mode === 'tampered') body = Buffer.concat([body, Buffer.from('\n;window.tampered=1;\n')]);
      return route.fulfill({
        status: 200,
        headers: { 'content-type': 'application/javascript; charset=utf-8', 'access-control-allow-origin': '*' },
        body,
      });
    });
  });

  it('bootstraps the first administrator with a passkey from the printed setup link', async () => {
    const link = await setupLink();
    assert.equal(new URL(link).port, String(ctx.server.port));
    const page = ctx.browser.page;
    await page.goto(link);
    await page.fill('#admin-name', 'Ada Admin');
    await page.click('#enrol-button');
    await page.waitForURL('**/console/apps');
    assert.match(await page.textContent('header'), /Ada Admin/);
    const [cookie] = (await ctx.browser.context.cookies()).filter((c) => c.name === 'pwl_console');
    assert.ok(cookie, 'no session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/console');

    // The link works once.
    await page.goto(link);
    assert.match(await page.textContent('main'), /not valid/);
  });

  it('signs out and back in with the passkey', async () => {
    const page = ctx.browser.page;
    await page.goto(consoleUrl('/apps'));
    await page.click('#signout');
    await page.waitForURL('**/console/signin');
    await page.goto(consoleUrl('/apps'));
    await page.waitForURL('**/console/signin?next=*');
    await page.click('#signin-button');
    await page.waitForURL('**/console/apps');
    assert.match(await page.textContent('h1'), /Applications/);
  });

  it('creates an app and shows its secrets once', async () => {
    const page = ctx.browser.page;
    await page.fill('#app-id', APP);
    await page.click('#check');
    assert.match(await page.textContent('.notice'), new RegExp(`${APP} is available`));
    await page.fill('#app-id', APP);
    await page.click('#create');
    const keys = await page.textContent('#new-keys');
    state.publicKey = keys.match(new RegExp(`${APP}:public:[0-9a-f]+`))[0];
    state.secret = keys.match(new RegExp(`${APP}:secret:[0-9a-f]+`))[0];
    await page.click('#continue');
    assert.match(await page.textContent('main'), new RegExp(state.publicKey));
    assert.doesNotMatch(await page.textContent('main'), new RegExp(state.secret));
  });

  it('creates and locks a key', async () => {
    const page = ctx.browser.page;
    await page.goto(consoleUrl(`/apps/${APP}/keys`));
    await page.click('#create-secret button');
    const key = (await page.textContent('#new-key')).trim();
    assert.match(key, new RegExp(`^${APP}:secret:[0-9a-f]{32}$`));
    const id = key.slice(-4);
    const row = `#keys tr[data-key="${id}"]`;
    assert.match(await page.textContent(row), /active/);
    await page.click(`${row} button:has-text("Lock")`);
    await page.waitForURL(`**/console/apps/${APP}/keys`);
    assert.match(await page.textContent(row), /locked/);
    assert.doesNotMatch(await page.textContent('#keys'), new RegExp(key), 'a secret was shown twice');
  });

  it('pins the official client on the demo page with the npm package\'s integrity hash', () => {
    assert.match(cdn.url, /\/npm\/@passwordlessdev\/passwordless-client@1\.2\.4\/dist\/umd\/passwordless\.umd\.min\.js$/);
    const hash = `sha384-${createHash('sha384').update(fs.readFileSync(CLIENT_FILE)).digest('base64')}`;
    assert.equal(CDN_TAG[2], hash, 'the integrity attribute is not the hash of the npm package file');
    assert.doesNotMatch(DEMO_PAGE, /webauthn\.js/);
  });

  it('registers and signs in a user through the demo, then sees the user in the console', async () => {
    await ctx.browser.newAuthenticator();
    const page = ctx.browser.page;
    cdn.requests = 0;
    const res0 = await page.goto(consoleUrl(`/demo/?app=${APP}`));
    assert.match(res0.headers()['content-security-policy'], new RegExp(`script-src 'self' ${cdn.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};`));
    await page.waitForSelector('#demo-form:not([hidden])');
    // The page ran the official client, fetched from the pinned URL, and
    // not the console's own WebAuthn script.
    assert.ok(cdn.requests >= 1, 'the demo did not request the official client from the CDN');
    assert.deepEqual(
      await page.evaluate(() => [typeof window.Passwordless?.Client, typeof window.PwlWebAuthn]),
      ['function', 'undefined'],
    );
    await page.fill('#username', 'grace@example.com');
    const { requests } = await ctx.browser.capturing(['/register/begin'], async () => {
      await page.click('#register');
      await page.waitForFunction(() => /succeeded|failed/.test(document.getElementById('demo-status').textContent));
    });
    assert.match(await page.textContent('#demo-status'), /Registration succeeded/);
    // The official client names itself on its API calls.
    assert.match(requests[0]?.headers['client-version'] ?? '', /^js-/, JSON.stringify(requests));
    const registered = JSON.parse(await page.textContent('#demo-result'));
    assert.equal(registered.success, true);
    assert.equal(registered.type, 'passkey_register');

    await page.click('#signin');
    await page.waitForFunction(() => /Sign-in (succeeded|failed)/.test(document.getElementById('demo-status').textContent));
    assert.match(await page.textContent('#demo-status'), /Sign-in succeeded/);
    const signedIn = JSON.parse(await page.textContent('#demo-result'));
    assert.equal(signedIn.userId, registered.userId);
    assert.equal(signedIn.type, 'passkey_signin');
    state.userId = registered.userId;

    // The same passkey with the official browser client and Node SDK,
    // using the keys the console showed at app creation.
    await page.goto(ctx.pages.url);
    const res = await ctx.browser.client({ apiUrl: ctx.server.baseUrl, apiKey: state.publicKey }, 'signinWithAlias', 'grace@example.com');
    assert.match(res?.token ?? '', /^verify_/, JSON.stringify(res));
    const verified = await new PasswordlessClient(state.secret, { baseUrl: ctx.server.baseUrl }).verifyToken(res.token);
    assert.equal(verified.userId, state.userId);

    await page.goto(consoleUrl(`/apps/${APP}/users`));
    assert.match(await page.textContent('#users'), /grace@example\.com/);
    assert.match(await page.textContent('#users'), new RegExp(state.userId));
  });

  it('renders the usage charts with today\'s numbers and keeps a screenshot', async () => {
    // Right after the demo registered grace (one user, one passkey, signed
    // in): the maintenance job has not run since, so the page must take
    // today's numbers itself.
    const page = ctx.browser.page;
    await page.goto(consoleUrl(`/apps/${APP}/usage`));
    const today = new Date().toISOString().slice(0, 10);
    for (const [id, want] of [
      ['credentials-chart', ['Users', 'Credentials']],
      ['active-users-chart', ['Daily active', 'Total users']],
    ]) {
      const svg = await page.$(`svg#${id}`);
      assert.ok(svg, `no ${id}`);
      const box = await svg.boundingBox();
      assert.ok(box.width > 300 && box.height > 100, `${id} is ${JSON.stringify(box)}`);
      assert.ok((await page.$$(`svg#${id} line.grid`)).length >= 3, `${id} has no grid`);
      assert.equal(await page.$(`svg#${id} text.empty`), null, `${id} says it has no rows`);
      assert.ok((await page.$$(`svg#${id} polyline.line`)).length >= want.length, `${id} draws no lines`);
      const points = await page.$$eval(`svg#${id} circle.dot`, (cs) => cs.map((c) => c.textContent));
      for (const name of want) {
        assert.ok(points.includes(`${name} ${today}: 1`), `${id}: no point "${name} ${today}: 1" in ${JSON.stringify(points)}`);
      }
      // The points are drawn inside the plot, not at the origin.
      const dots = await page.$$(`svg#${id} circle.dot`);
      const dot = await dots[dots.length - 1].boundingBox();
      assert.ok(dot && dot.width > 0 && dot.x > box.x && dot.y > box.y, `${id}: point not drawn: ${JSON.stringify(dot)}`);
    }
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-usage.png'), fullPage: true });
    await page.goto(consoleUrl(`/apps/${APP}/users`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-users.png'), fullPage: true });
    assert.ok(fs.statSync(path.join(ARTIFACTS, 'console-usage.png')).size > 1000);
  });

  it("deletes the user's passkey", async () => {
    const page = ctx.browser.page;
    await page.goto(consoleUrl(`/apps/${APP}/users`));
    await page.click(`#users a:has-text("${state.userId}")`);
    await page.waitForURL('**/user?id=*');
    const rows = await page.$$('#passkeys tbody tr');
    assert.equal(rows.length, 1);
    const row = await page.textContent('#passkeys tbody');
    assert.match(row, /demo/, 'nickname');
    assert.match(row, /[0-9a-f]{8}-[0-9a-f]{4}-/, 'AAGUID');
    await page.click('#passkeys button:has-text("Delete passkey")');
    await page.waitForURL('**/user?id=*');
    assert.match(await page.textContent('#passkeys'), /No passkeys/);
  });

  it('toggles a feature', async () => {
    const page = ctx.browser.page;
    await page.goto(consoleUrl(`/apps/${APP}/features`));
    assert.equal(await page.isChecked('#magic-links'), true);
    await page.uncheck('#magic-links');
    await page.click('#save-features');
    await page.waitForURL('**/features?saved=1');
    assert.equal(await page.isChecked('#magic-links'), false);
    assert.match(await page.textContent('.notice'), /Saved/);
  });

  it('reads the event log, filtered by type', async () => {
    const page = ctx.browser.page;
    await page.goto(consoleUrl(`/apps/${APP}/events`));
    const all = await page.textContent('#events');
    for (const type of ['AdminMagicLinksDisabled', 'ApiUserDeleteCredential', 'AdminApiKeyLocked', 'ApiAuthPasskeyRegistrationCompleted', 'ApiUserSignInVerified']) {
      assert.match(all, new RegExp(type), `event ${type} missing`);
    }
    await page.selectOption('#event-type', 'AdminApiKeyLocked');
    await page.click('button:has-text("Filter")');
    await page.waitForURL('**/events?type=AdminApiKeyLocked');
    const rows = await page.$$eval('#events tbody tr', (trs) => trs.map((tr) => tr.textContent));
    assert.equal(rows.length, 1, rows.join('\n'));
    assert.match(rows[0], /Locked key/);
  });

  it('runs the open demo of the development app without a session', async () => {
    const page = ctx.browser.page;
    await ctx.browser.context.clearCookies();
    await page.goto(consoleUrl('/demo'));
    await page.waitForSelector('#demo-form:not([hidden])');
    assert.match(await page.textContent('#demo-app'), /test:public:2e728aa5986f4ba8b073a5b28a939795/);
    await page.fill('#username', 'newcomer');
    await page.click('#register');
    await page.waitForFunction(() => /succeeded|failed/.test(document.getElementById('demo-status').textContent));
    assert.match(await page.textContent('#demo-status'), /Registration succeeded/);
    // Other apps need a console session.
    await page.goto(consoleUrl(`/demo/?app=${APP}`));
    await page.waitForFunction(() => document.getElementById('demo-app').textContent !== 'Loading…');
    assert.match(await page.textContent('#demo-app'), /Sign in to the console/);
  });

  it('says so when the official client cannot be loaded', async () => {
    const page = ctx.browser.page;
    try {
      for (const mode of ['offline', 'tampered']) {
        cdn.mode = mode;
        await page.goto(consoleUrl('/demo'));
        await page.waitForFunction(() => document.getElementById('demo-status').textContent !== '');
        const msg = await page.textContent('#demo-status');
        assert.match(msg, /official browser client .* could not be loaded from https:\/\/cdn\.jsdelivr\.net\/.* PASSWORDLESS_DEMO_CLIENT_URL/, `${mode}: ${msg}`);
        assert.equal(await page.isHidden('#demo-form'), true, mode);
        assert.equal(await page.evaluate(() => typeof window.Passwordless), 'undefined', `${mode}: the client ran`);
      }
    } finally {
      cdn.mode = 'npm';
    }
  });
});

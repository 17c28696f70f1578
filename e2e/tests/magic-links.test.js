// Magic links through the Node SDK: the server has no SMTP host, so it writes
// each e-mail as an .eml file into PASSWORDLESS_MAIL_DIR; the test reads the
// link from there and verifies its token.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SendMagicLinkRequest } from '@passwordlessdev/passwordless-nodejs';
import { useSuite, privateApi, sdkRejects } from '../lib/fixture.js';
import { emlFiles, parseMessage, textParts } from '../lib/mail.js';

const mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwl-e2e-mail-'));
const ADMIN_EMAIL = 'owner@example.com';

const ctx = useSuite({
  pages: true,
  env: { PASSWORDLESS_MAIL_DIR: mailDir },
  app: { adminEmail: ADMIN_EMAIL, magicLinkEmailMonthlyQuota: 100 },
});

after(() => fs.rmSync(mailDir, { recursive: true, force: true }));

function urlTemplate() {
  return `${ctx.pages.origin}/login?token=$TOKEN`;
}

function clearMail() {
  for (const f of emlFiles(mailDir)) fs.rmSync(f);
}

describe('magic links', () => {
  it('sends a link whose token verifies once as magic_link', async () => {
    clearMail();
    const res = await ctx.sdk.sendMagicLink(new SendMagicLinkRequest(ADMIN_EMAIL, urlTemplate(), 'u-magic'));
    assert.equal(res.status, 204);

    const files = emlFiles(mailDir);
    assert.equal(files.length, 1, `expected one .eml file, found ${files.length}`);
    const raw = fs.readFileSync(files[0], 'utf8');
    const { headers } = parseMessage(raw);
    assert.match(headers.to ?? '', new RegExp(ADMIN_EMAIL.replace('.', '\\.')), `To: ${headers.to}`);
    assert.match(headers.subject ?? '', /^Sign in to localhost\b/, `Subject: ${headers.subject}`);

    // Both the text and the HTML part carry the link with the same token.
    const parts = textParts(raw);
    const types = parts.map((p) => p.contentType.split(';')[0].trim().toLowerCase());
    assert.deepEqual(types.sort(), ['text/html', 'text/plain'], `parts: ${types}`);
    const linkPrefix = `${ctx.pages.origin}/login?token=`;
    const tokens = new Set();
    for (const { contentType, text } of parts) {
      const found = [...text.matchAll(/http:\/\/localhost:\d+\/login\?token=(verify_[A-Za-z0-9_-]+)/g)];
      assert.ok(found.length > 0, `no link starting with ${linkPrefix} in the ${contentType} part:\n${text}`);
      for (const m of found) {
        assert.ok(m[0].startsWith(linkPrefix), `link ${m[0]} does not use the page origin`);
        tokens.add(m[1]);
      }
      assert.ok(!text.includes('$TOKEN'), 'the $TOKEN placeholder was not replaced');
    }
    assert.equal(tokens.size, 1, `the mail carries different tokens: ${[...tokens]}`);
    const [token] = tokens;

    const verified = await ctx.sdk.verifyToken(token);
    assert.ok(verified, 'verifyToken returned null for the magic-link token');
    assert.equal(verified.success, true);
    assert.equal(verified.type, 'magic_link');
    assert.equal(verified.userId, 'u-magic');
    assert.equal(verified.credentialId ?? null, null);
    assert.equal(verified.rpId ?? null, null);
    assert.equal(verified.origin ?? null, null);
    assert.equal((Date.parse(verified.expiresAt) - Date.parse(verified.timestamp)) / 1000, 3600, 'default TTL is 1 h');

    assert.equal(await ctx.sdk.verifyToken(token), null, 'a magic-link token must verify only once');
  });

  it('refuses a urlTemplate without $TOKEN (400, errors.urlTemplate)', async () => {
    clearMail();
    const details = await sdkRejects(
      ctx.sdk.sendMagicLink(new SendMagicLinkRequest(ADMIN_EMAIL, `${ctx.pages.origin}/login`, 'u-magic')),
      400,
    );
    assert.ok(Array.isArray(details.errors?.urlTemplate), `no errors.urlTemplate in ${JSON.stringify(details)}`);
    assert.match(details.errors.urlTemplate.join(' '), /\$TOKEN/);
    assert.deepEqual(emlFiles(mailDir), [], 'no mail may be sent for a refused request');
  });

  it('answers 403 while magic links are disabled for the app', async () => {
    clearMail();
    const off = await privateApi(ctx, 'POST', '/apps/features', { enableMagicLinks: false });
    assert.equal(off.status, 204, off.text);
    try {
      const details = await sdkRejects(
        ctx.sdk.sendMagicLink(new SendMagicLinkRequest(ADMIN_EMAIL, urlTemplate(), 'u-magic')),
        403,
      );
      assert.equal(details.title, 'You must enable Magic Links in settings in order to use this feature.');
      assert.deepEqual(emlFiles(mailDir), [], 'no mail may be sent while magic links are disabled');
    } finally {
      const on = await privateApi(ctx, 'POST', '/apps/features', { enableMagicLinks: true });
      assert.equal(on.status, 204, on.text);
    }

    await ctx.sdk.sendMagicLink(new SendMagicLinkRequest(ADMIN_EMAIL, urlTemplate(), 'u-magic'));
    assert.equal(emlFiles(mailDir).length, 1, 're-enabled magic links send again');
  });
});

// Moving an app from one running server to another with
// `passwordless import --from-api`: users register passkeys on the source
// through the official browser client, the binary copies the app through the
// source's private API into the target's database, and the same passkeys
// then sign in on the target (by alias, plaintext and hashed, by user id and
// discoverable), verified by the Node SDK against the target.

import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PasswordlessClient } from '@passwordlessdev/passwordless-nodejs';
import { useSuite, newUser, registerUser, assertToken, privateApi } from '../lib/fixture.js';
import { REPO_ROOT, startServer } from '../lib/server.js';
import { rememberFrom } from '../lib/secrets.js';

const execFileAsync = promisify(execFile);
const ctx = useSuite({ browser: true });

let dir;
let bin;
let target;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwl-e2e-import-'));
  bin = process.env.PASSWORDLESS_E2E_BIN;
  if (!bin) {
    bin = path.join(dir, 'passwordless');
    await execFileAsync('go', ['build', '-o', bin, './cmd/passwordless'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
  }
});

after(async () => {
  await target?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the binary with the source secret in the environment, not the arguments. */
async function importCommand(args) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PASSWORDLESS_')));
  env.PASSWORDLESS_SOURCE_API_SECRET = ctx.app.apiSecret1;
  try {
    const { stdout, stderr } = await execFileAsync(bin, ['import', ...args], { env, cwd: dir });
    rememberFrom(stdout);
    return { code: 0, stdout, stderr };
  } catch (err) {
    rememberFrom(err.stdout ?? '');
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('import --from-api', () => {
  it('moves the passkeys to another server, where they sign in', async () => {
    // Two users on one virtual authenticator: plaintext and hashed aliases.
    const plain = await registerUser(ctx, { user: newUser() });
    const hashedUser = newUser();
    const hashed = await registerUser(ctx, { user: hashedUser, freshAuthenticator: false });
    const alias = await privateApi(ctx, 'POST', '/alias', { userId: hashedUser.userId, aliases: [hashedUser.email], hashing: true });
    assert.equal(alias.status, 204, alias.text);

    const database = path.join(dir, 'target.db');
    const dry = await importCommand(['--from-api', ctx.server.baseUrl, '--database', database, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Would copy for app/);
    assert.match(dry.stdout, /credentials:\s+2\b/);
    assert.ok(!fs.existsSync(database), 'the dry run created the database');

    const run = await importCommand(['--from-api', ctx.server.baseUrl, '--database', database]);
    assert.equal(run.code, 0, `import failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /is complete/);
    assert.match(run.stderr, /progress: users 2\/2 100%/);
    assert.ok(!run.stdout.includes(ctx.app.apiSecret1) && !run.stderr.includes(ctx.app.apiSecret1), 'the source secret was printed');
    const apiKey = run.stdout.match(/ApiKey:\s+(\S+)/)[1];
    const apiSecret = run.stdout.match(/ApiSecret:\s+(\S+)/)[1];
    assert.ok(apiKey.startsWith(`${ctx.app.appId}:public:`), 'the app id is kept');

    // Running it again refuses the complete app.
    const again = await importCommand(['--from-api', ctx.server.baseUrl, '--database', database]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /refusing to merge/);

    target = await startServer({ env: { PASSWORDLESS_DATABASE: database } });
    const targetSdk = new PasswordlessClient(apiSecret, { baseUrl: target.baseUrl });
    const config = { apiUrl: target.baseUrl, apiKey };

    const cases = [
      ['plaintext alias', 'signinWithAlias', [plain.user.email], plain.user.userId],
      ['hashed alias', 'signinWithAlias', [hashedUser.email], hashedUser.userId],
      ['user id', 'signinWithId', [plain.user.userId], plain.user.userId],
    ];
    for (const [name, method, args, userId] of cases) {
      const res = await ctx.browser.client(config, method, ...args);
      assertToken(res);
      const verified = await targetSdk.verifyToken(res.token);
      assert.equal(verified?.userId, userId, `sign-in by ${name} on the target: ${JSON.stringify(verified)}`);
      assert.equal(verified.type, 'passkey_signin');
    }
    const discoverable = await ctx.browser.client(config, 'signinWithDiscoverable');
    assertToken(discoverable);
    const verified = await targetSdk.verifyToken(discoverable.token);
    assert.ok([plain.user.userId, hashedUser.userId].includes(verified?.userId), JSON.stringify(verified));
    assert.ok([plain.verified.credentialId, hashed.verified.credentialId].includes(verified.credentialId));
  });
});

// Builds and runs the passwordless server binary for the end-to-end tests.
//
// The binary is built once per test file from ./cmd/passwordless (the Go build
// cache makes the later builds cheap). Set PASSWORDLESS_E2E_BIN to reuse an
// already built binary instead.

import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { emlFiles, textParts } from './mail.js';
import { remember, rememberFrom, rememberKey, scanLog } from './secrets.js';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Loopback traffic must never go through a proxy (axios honours *_PROXY).
for (const key of ['NO_PROXY', 'no_proxy']) {
  const parts = (process.env[key] || '').split(',').filter(Boolean);
  for (const host of ['127.0.0.1', 'localhost', '::1']) if (!parts.includes(host)) parts.push(host);
  process.env[key] = parts.join(',');
}

export function randomHex(bytes = 16) {
  return randomBytes(bytes).toString('hex');
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function buildBinary(dir) {
  if (process.env.PASSWORDLESS_E2E_BIN) return process.env.PASSWORDLESS_E2E_BIN;
  const out = path.join(dir, 'passwordless');
  try {
    await execFileAsync('go', ['build', '-o', out, './cmd/passwordless'], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(`go build ./cmd/passwordless failed:\n${err.stderr || err.message}`);
  }
  return out;
}

function tail(text, lines = 60) {
  return text.split('\n').slice(-lines).join('\n');
}

function readLog(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '(no server log)';
  }
}

/** Remembers the magic links (and so their tokens) in the .eml files of `dir`. */
function rememberMail(dir) {
  for (const file of emlFiles(dir)) {
    for (const { text } of textParts(fs.readFileSync(file, 'utf8'))) rememberFrom(text);
  }
}

/** Fails if the server's output holds a secret (see secrets.js). */
function checkLog(log, logFile) {
  const findings = scanLog(log);
  if (findings.length > 0) {
    throw new Error(`the server log ${logFile} contains secrets:\n  ${findings.join('\n  ')}`);
  }
}

/**
 * Builds (if needed) and starts the server on a free loopback port with a fresh
 * database, logging at debug level so that the log check at stop() sees every
 * request line. `env` adds (or overrides) PASSWORDLESS_* variables for this
 * server only. Returns {baseUrl, managementKey, logFile, logTail(), stop()};
 * stop() fails if the server's output contains a secret the tests saw or
 * anything shaped like a key or token (the files are then kept).
 */
export async function startServer({ env: extraEnv = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwl-e2e-server-'));
  const bin = await buildBinary(dir);
  const port = await freePort();
  const managementKey = randomHex(16);
  remember('management key', managementKey);
  const logFile = path.join(dir, 'server.log');
  const logFd = fs.openSync(logFile, 'a');

  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PASSWORDLESS_')),
  );
  Object.assign(env, {
    PASSWORDLESS_ADDR: `127.0.0.1:${port}`,
    PASSWORDLESS_DATABASE: path.join(dir, 'passwordless.db'),
    PASSWORDLESS_MANAGEMENT_KEY: managementKey,
    PASSWORDLESS_LOG_LEVEL: 'debug',
    ...extraEnv,
  });
  const mailDir = path.resolve(dir, env.PASSWORDLESS_MAIL_DIR ?? 'mail');

  const child = spawn(bin, ['serve'], { cwd: dir, env, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  let finalLog = null;
  const logTail = (n) => tail(finalLog ?? readLog(logFile), n);
  let stopped = false;
  // `check: false` skips the log check, for a server that failed to start
  // (its own error matters more).
  const stop = async ({ keepFiles = false, check = true } = {}) => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    }
    finalLog = readLog(logFile);
    try {
      if (check) {
        rememberMail(mailDir);
        checkLog(finalLog, logFile);
      }
    } catch (err) {
      keepFiles = true;
      throw err;
    } finally {
      if (!keepFiles) fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  const deadline = Date.now() + 15000;
  for (;;) {
    if (exited) {
      const log = logTail();
      await stop({ keepFiles: true, check: false });
      throw new Error(
        `server exited before becoming healthy (code ${exited.code}, signal ${exited.signal}); log ${logFile}, tail:\n${log}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/health/http`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const log = logTail();
      await stop({ keepFiles: true, check: false });
      throw new Error(`server did not answer GET /health/http with 200 within 15 s; log ${logFile}, tail:\n${log}`);
    }
    await sleep(100);
  }

  return { baseUrl, port, managementKey, logFile, logTail, stop };
}

export const DEFAULT_ADMIN_EMAIL = 'admin@example.com';

/**
 * POST /admin/apps/<appId>/create; `body` overrides the defaults (adminEmail,
 * magicLinkEmailMonthlyQuota). Returns {appId, apiKey1, apiKey2, apiSecret1,
 * apiSecret2, ...}.
 */
export async function createApp(server, appId = `e2e${randomHex(6)}`, body = {}) {
  const res = await fetch(`${server.baseUrl}/admin/apps/${appId}/create`, {
    method: 'POST',
    headers: { ManagementKey: server.managementKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ adminEmail: DEFAULT_ADMIN_EMAIL, magicLinkEmailMonthlyQuota: 100, ...body }),
  });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(`creating app ${appId}: HTTP ${res.status} ${text}`);
  }
  const app = { appId, ...JSON.parse(text) };
  for (const k of ['apiKey1', 'apiKey2']) rememberKey('public ApiKey', app[k]);
  for (const k of ['apiSecret1', 'apiSecret2']) rememberKey('API secret', app[k]);
  return app;
}

/** Calls a management endpoint with the ManagementKey header. */
export async function management(server, method, pathname, body) {
  const res = await fetch(`${server.baseUrl}${pathname}`, {
    method,
    headers: {
      ManagementKey: server.managementKey,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  rememberFrom(text);
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * A raw HTTP request (node:http, so no header is filtered or added behind our
 * back). Returns {status, headers (lower-case keys), text, json}.
 */
export async function rawRequest(url, { method = 'GET', headers = {}, body } = {}) {
  const http = await import('node:http');
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  rememberFrom(payload);
  rememberFrom(Object.values(headers).join('\n'));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          ...(payload !== undefined ? { 'Content-Length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          rememberFrom(text);
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Prints the server log tail when this test process ends with a failure, so a
 * failing assertion comes with the server side of the story.
 */
export function dumpLogOnFailure(getServer) {
  process.on('exit', () => {
    const server = getServer();
    if (process.exitCode && server) {
      process.stderr.write(`\n----- server log tail -----\n${server.logTail(80)}\n---------------------------\n`);
    }
  });
}

// Headless Chromium with a CDP virtual authenticator, showing a tiny page on
// http://localhost:<port>/ that loads the official browser client
// (@passwordlessdev/passwordless-client, IIFE build => global `Passwordless`).
//
// The page must be served from a real loopback socket on the host name
// "localhost": that is a secure context (WebAuthn works without TLS), the
// client's default rpid becomes "localhost", and calls to the API on
// 127.0.0.1 are cross-origin, so the server's CORS handling is exercised.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { rememberFrom } from './secrets.js';

const require = createRequire(import.meta.url);

const CLIENT_IIFE = path.join(
  path.dirname(require.resolve('@passwordlessdev/passwordless-client/package.json')),
  'dist',
  'iife',
  'passwordless.iife.js',
);

const PAGE_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>passwordless e2e</title>
<script src="/passwordless.iife.js"></script></head>
<body><input id="username" autocomplete="username webauthn"></body>
</html>
`;

export function findChromium() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim();
      if (p) return p;
    } catch {
      // try the next name
    }
  }
  throw new Error('no Chromium found: install the Debian "chromium" package or set CHROMIUM_PATH');
}

/** Serves the test page and the client script on 127.0.0.1:<random port>. */
export async function startPageServer() {
  const script = fs.readFileSync(CLIENT_IIFE);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(PAGE_HTML);
    } else if (url.pathname === '/passwordless.iife.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      res.end(script);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    origin: `http://localhost:${port}`,
    url: `http://localhost:${port}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const AUTHENTICATOR_OPTIONS = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};

/**
 * Launches Chromium on the page and attaches one virtual authenticator.
 * Returns a Browser helper (see the class below).
 */
export async function launchBrowser(pageUrl) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwl-e2e-chrome-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleLines = [];
    page.on('console', (msg) => consoleLines.push(`[${msg.type()}] ${msg.text()}`));
    watchTraffic(page);
    await page.goto(pageUrl);
    const ready = await page.evaluate(
      () => window.isSecureContext && typeof window.Passwordless?.Client === 'function',
    );
    if (!ready) throw new Error(`test page ${pageUrl} is not a secure context or did not load the client`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const browser = new Browser(context, page, cdp, userDataDir, consoleLines);
    await browser.newAuthenticator();
    return browser;
  } catch (err) {
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Remembers the keys and tokens in what the page sends and receives (API
 * calls, console pages, setup and invitation links), for the server log
 * check (secrets.js).
 */
function watchTraffic(page) {
  page.on('request', (req) => rememberFrom(`${req.url()}\n${req.postData() ?? ''}`));
  page.on('response', (res) => {
    const type = res.headers()['content-type'] ?? '';
    if (!/json|html/.test(type)) return;
    // The body is gone for redirects and closed pages; nothing to see then.
    res.text().then(rememberFrom, () => {});
  });
}

class Browser {
  constructor(context, page, cdp, userDataDir, consoleLines) {
    this.context = context;
    this.page = page;
    this.cdp = cdp;
    this.userDataDir = userDataDir;
    this.consoleLines = consoleLines;
    this.authenticatorId = null;
  }

  /** Replaces the current virtual authenticator with a fresh, empty one. */
  async newAuthenticator(overrides = {}) {
    if (this.authenticatorId) {
      await this.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: this.authenticatorId });
    }
    const { authenticatorId } = await this.cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { ...AUTHENTICATOR_OPTIONS, ...overrides },
    });
    this.authenticatorId = authenticatorId;
    return authenticatorId;
  }

  /** Credentials stored on the current authenticator (CDP: ids are standard base64). */
  async credentials() {
    const { credentials } = await this.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: this.authenticatorId,
    });
    return credentials;
  }

  /**
   * Runs `new Passwordless.Client(config)[method](...args)` in the page and
   * returns the result ({token} or {error}).
   */
  async client(config, method, ...args) {
    return this.page.evaluate(
      async ([cfg, m, a]) => {
        const p = new window.Passwordless.Client(cfg);
        return p[m](...a);
      },
      [config, method, args],
    );
  }

  /**
   * Runs `fn` while recording the JSON bodies the page POSTs to URLs ending in
   * one of `suffixes`. Returns {result, requests: [{url, headers, body}]}.
   */
  async capturing(suffixes, fn) {
    const requests = [];
    const onRequest = (req) => {
      if (req.method() !== 'POST') return;
      if (!suffixes.some((s) => req.url().endsWith(s))) return;
      requests.push({ url: req.url(), headers: req.headers(), body: req.postData() });
    };
    this.page.on('request', onRequest);
    try {
      const result = await fn();
      return { result, requests };
    } finally {
      this.page.off('request', onRequest);
    }
  }

  async close() {
    await this.context.close().catch(() => {});
    fs.rmSync(this.userDataDir, { recursive: true, force: true });
  }
}

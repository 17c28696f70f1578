// The demo's logic: register (backend mints a register token, the official
// browser client creates the passkey, backend verifies) and sign in (the
// client signs in, backend verifies). The client,
// @passwordlessdev/passwordless-client, is loaded by index.html (from a CDN,
// or the copy PASSWORDLESS_DEMO_CLIENT_URL names) as the global
// `Passwordless`. Calls to /console/demo/api/* stand for a
// site's own backend, which would use its ApiSecret with /register/token
// and /signin/verify.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  let cfg;

  async function backend(path, body) {
    const headers = { 'Content-Type': 'application/json' };
    if (cfg.csrf) headers['X-CSRF-Token'] = cfg.csrf;
    const res = await fetch('api/' + path + location.search, { method: 'POST', headers, body: JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || data.title || 'HTTP ' + res.status);
    return data;
  }

  function status(msg, isError) {
    $('demo-status').textContent = msg;
    $('demo-status').className = isError ? 'error' : 'notice';
  }

  function result(verified) {
    $('demo-result').textContent = JSON.stringify(verified, null, 2);
    $('demo-result').hidden = false;
    if (cfg.console) {
      $('demo-console').querySelector('a').href = cfg.console;
      $('demo-console').hidden = false;
    }
  }

  // The client answers {token} or {error: ProblemDetails} rather than
  // throwing; turn an error into an exception for run().
  function tokenOf(res) {
    if (res && res.token) return res.token;
    const e = (res && res.error) || {};
    throw new Error([e.title, e.detail].filter(Boolean).join(' ') || 'the passkey ceremony did not finish');
  }

  async function run(what, fn) {
    status(what + '…');
    $('demo-result').hidden = true;
    try {
      const verified = await fn();
      status(what + ' succeeded: the backend verified the token for user ' + verified.userId + '.');
      result(verified);
    } catch (e) {
      status(what + ' failed: ' + e.message, true);
    }
  }

  async function start() {
    const res = await fetch('api/config' + location.search);
    cfg = await res.json().catch(() => ({}));
    if (!res.ok) {
      $('demo-app').textContent = cfg.error || 'The demo is not available.';
      return;
    }
    if (cfg.addressProblem) {
      $('demo-app').textContent = '';
      status(cfg.addressProblem + ' ', true);
      const link = document.createElement('a');
      link.href = cfg.useUrl;
      link.textContent = cfg.useUrl;
      $('demo-status').appendChild(link);
      return;
    }
    if (typeof window.Passwordless?.Client !== 'function') {
      const source = $('passwordless-client').src;
      $('demo-app').textContent = '';
      status('The official browser client (@passwordlessdev/passwordless-client) could not be loaded from ' +
        source + '. The browser must be able to reach that address. Without internet access, the ' +
        'server\'s operator can host a copy of the client and point the demo to it with ' +
        'PASSWORDLESS_DEMO_CLIENT_URL (and its hash in PASSWORDLESS_DEMO_CLIENT_INTEGRITY). ' +
        'Check the connection (or a blocker) and reload the page.', true);
      return;
    }
    if (!Passwordless.isBrowserSupported() || !window.isSecureContext) {
      $('demo-app').textContent = 'This browser does not support passkeys (WebAuthn), or the page is not a secure context.';
      return;
    }
    const client = new Passwordless.Client({ apiUrl: cfg.apiUrl, apiKey: cfg.apiKey });
    $('demo-app').textContent = 'App "' + cfg.appId + '", public key ' + cfg.apiKey + ', API ' + cfg.apiUrl;
    $('demo-form').hidden = false;
    $('register').addEventListener('click', () => {
      const username = $('username').value.trim();
      if (!username) return status('Enter a username to register.', true);
      run('Registration', async () => {
        const { token } = await backend('register-token', { username });
        const verifyToken = tokenOf(await client.register(token, 'demo'));
        return backend('verify', { token: verifyToken });
      });
    });
    $('signin').addEventListener('click', () => {
      const alias = $('username').value.trim();
      run('Sign-in', async () => {
        const verifyToken = tokenOf(await (alias ? client.signinWithAlias(alias) : client.signinWithDiscoverable()));
        return backend('verify', { token: verifyToken });
      });
    });
  }

  start().catch((e) => status('The demo failed to start: ' + e.message, true));
})();

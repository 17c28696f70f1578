// Registration: the backend mints a register token, the official client
// creates the passkey. Sign-in: the client signs in, the backend verifies
// the token. The client is the global `Passwordless` (see index.html).
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  let client;

  async function backend(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || 'HTTP ' + res.status);
    return data;
  }

  // The client answers {token} or {error}; turn an error into an exception.
  function tokenOf(res) {
    if (res && res.token) return res.token;
    const e = (res && res.error) || {};
    throw new Error([e.title, e.detail].filter(Boolean).join(' ') || 'the passkey ceremony did not finish');
  }

  async function run(what, fn) {
    $('status').textContent = what + '…';
    $('status').className = '';
    $('result').hidden = true;
    try {
      const out = await fn();
      $('status').textContent = what + ' succeeded.';
      if (out) {
        $('result').textContent = JSON.stringify(out, null, 2);
        $('result').hidden = false;
      }
    } catch (e) {
      $('status').textContent = what + ' failed: ' + e.message;
      $('status').className = 'error';
    }
  }

  $('register').addEventListener('click', () => run('Registration', async () => {
    const { token } = await backend('register', { username: $('username').value });
    tokenOf(await client.register(token, $('username').value));
  }));

  $('signin').addEventListener('click', () => run('Sign-in', async () => {
    const name = $('username').value;
    const res = name ? await client.signinWithAlias(name) : await client.signinWithDiscoverable();
    return backend('signin', { token: tokenOf(res) });
  }));

  window.addEventListener('DOMContentLoaded', async () => {
    if (typeof Passwordless === 'undefined') {
      $('status').textContent = 'The browser client could not be loaded from cdn.jsdelivr.net.';
      $('status').className = 'error';
      return;
    }
    const cfg = await (await fetch('config')).json();
    client = new Passwordless.Client({ apiUrl: cfg.apiUrl, apiKey: cfg.apiKey });
  });
})();

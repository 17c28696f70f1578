// Minimal WebAuthn client for this server's public endpoints
// (/register/begin|complete, /signin/begin|complete), used by the console's
// own sign-in and enrolment pages, so they work without loading anything
// from elsewhere. (The demo uses the official browser client instead.) It
// does what the official browser client does: fetch the
// options, convert base64url members to bytes, call
// navigator.credentials.create/get and send the result back; the result is
// a verify_ token for the backend to check.
(function () {
  'use strict';

  function toBytes(b64url) {
    const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '==='.slice((b64.length + 3) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }

  function toB64url(buf) {
    const bytes = new Uint8Array(buf);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function call(cfg, path, body) {
    const res = await fetch(cfg.apiUrl + path, {
      method: 'POST',
      headers: { ApiKey: cfg.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.title || data.error || 'HTTP ' + res.status);
    return data;
  }

  const where = () => ({ origin: location.origin, rpid: location.hostname });
  const descriptors = (list) => (list || []).map((d) => ({ ...d, id: toBytes(d.id) }));

  // register(cfg, registerToken, nickname) -> verify token
  async function register(cfg, token, nickname) {
    const begin = await call(cfg, '/register/begin', { token, ...where() });
    const o = begin.data;
    const publicKey = {
      ...o,
      challenge: toBytes(o.challenge),
      user: { ...o.user, id: toBytes(o.user.id) },
      excludeCredentials: descriptors(o.excludeCredentials),
    };
    const cred = await navigator.credentials.create({ publicKey });
    const response = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      extensions: cred.getClientExtensionResults(),
      response: {
        attestationObject: toB64url(cred.response.attestationObject),
        clientDataJSON: toB64url(cred.response.clientDataJSON),
        transports: cred.response.getTransports ? cred.response.getTransports() : [],
      },
    };
    const done = await call(cfg, '/register/complete', { session: begin.session, response, nickname: nickname || '', ...where() });
    return done.token;
  }

  // signin(cfg, {alias, userId}) -> verify token; without either, any
  // discoverable passkey of the app may answer.
  async function signin(cfg, who) {
    const begin = await call(cfg, '/signin/begin', { ...(who || {}), ...where() });
    const o = begin.data;
    const publicKey = { ...o, challenge: toBytes(o.challenge), allowCredentials: descriptors(o.allowCredentials) };
    const cred = await navigator.credentials.get({ publicKey });
    const r = cred.response;
    const response = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      extensions: cred.getClientExtensionResults(),
      response: {
        authenticatorData: toB64url(r.authenticatorData),
        clientDataJSON: toB64url(r.clientDataJSON),
        signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : null,
      },
    };
    const done = await call(cfg, '/signin/complete', { session: begin.session, response, ...where() });
    return done.token;
  }

  window.PwlWebAuthn = { register, signin, supported: () => !!(window.PublicKeyCredential && navigator.credentials) };
})();

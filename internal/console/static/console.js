// Console pages that need WebAuthn: administrator sign-in and enrolment.
// Everything else in the console works without JavaScript.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const apiCfg = (el) => ({ apiUrl: '', apiKey: el.dataset.apiKey });
  const show = (msg) => {
    const el = $('js-error');
    el.textContent = msg;
    el.hidden = false;
  };

  const signin = $('signin-form');
  if (signin) {
    $('signin-button').hidden = false;
    $('signin-button').addEventListener('click', async () => {
      try {
        signin.elements.token.value = await PwlWebAuthn.signin(apiCfg(signin), {});
        signin.submit();
      } catch (e) {
        show('Sign-in did not complete: ' + e.message);
      }
    });
  }

  const enrol = $('enrol-form');
  if (enrol) {
    enrol.addEventListener('submit', async (ev) => {
      if (enrol.elements.token.value) return; // second pass: really submit
      ev.preventDefault();
      try {
        const res = await fetch(enrol.dataset.begin, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ token: enrol.elements.secret.value, name: enrol.elements.name.value }),
        });
        const data = await res.json();
        if (!res.ok) throw new Error(data.error || 'HTTP ' + res.status);
        enrol.elements.pending.value = data.pending;
        enrol.elements.token.value = await PwlWebAuthn.register(apiCfg(enrol), data.registerToken, 'console');
        enrol.submit();
      } catch (e) {
        enrol.elements.token.value = '';
        show('Registration did not complete: ' + e.message);
      }
    });
  }
})();

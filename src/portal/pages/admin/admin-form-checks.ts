import { addAsset } from '../../assets.js';

/** The admin pages' script (the CSP allows this server's files only, nothing inline). */
export const ADMIN_FORMS_SCRIPT = 'admin-forms.js';

/** What a field's value is checked against on the server as one types (`data-check`). */
export type LiveCheck = 'email-free' | 'user-known' | 'identifier-free' | 'group-free' | 'content-known' | 'study-known';

/**
 * Checks as one types, next to each field (its `…-live` element, aria-live): first the field's
 * own HTML constraints, in the service's words (`data-invalid`); then, for a `data-check`, the
 * JSON admin API: an email already taken, an identifier already used, a group name taken, an
 * unknown user, content type or study. Only a definite answer is shown; a failed request shows
 * nothing. It never stops a form: without it the browser's constraints and the server's
 * check on the post still apply. It writes text with textContent only.
 */
const SCRIPT = `
'use strict';
(function () {
  var MAX_NAMES = 20;
  function get(path) {
    return fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (json) { return { status: r.status, json: json }; }, function () { return { status: r.status, json: null }; });
    });
  }
  function said(res) {
    var issue = res.json && res.json.issue && res.json.issue[0];
    return issue && issue.diagnostics;
  }
  /** The API's own refusal, when it answers with one of the statuses that mean "no such thing". */
  function refusedWith(statuses) {
    return function (res) { return statuses.indexOf(res.status) >= 0 ? said(res) : undefined; };
  }
  var checks = {
    'email-free': function (value) {
      return get('/api/users/' + encodeURIComponent(value)).then(function (res) {
        return res.status === 200 ? 'An account with the email ' + value + ' exists already' : undefined;
      });
    },
    'user-known': function (value) {
      return get('/api/users/' + encodeURIComponent(value)).then(refusedWith([404]));
    },
    'study-known': function (value) {
      return get('/api/studies/' + encodeURIComponent(value)).then(refusedWith([400, 404]));
    },
    'identifier-free': function (value) {
      var bar = value.indexOf('|');
      var system = value.slice(0, bar).trim();
      var code = value.slice(bar + 1).trim();
      return get('/api/organizations').then(function (res) {
        var taken = res.status === 200 && res.json.organizations.some(function (o) {
          return o.identifier && o.identifier.system === system && o.identifier.value === code;
        });
        return taken ? 'An organization with the identifier ' + system + '|' + code + ' exists already' : undefined;
      });
    },
    'group-free': function (value, input) {
      var systemField = input.form.elements.namedItem('system');
      var system = systemField ? systemField.value.trim() : '';
      if (system === '' || (systemField.validity && !systemField.validity.valid)) return Promise.resolve(undefined);
      return get('/api/groups?system=' + encodeURIComponent(system)).then(function (res) {
        if (res.status !== 200) return undefined;
        function has(nodes) { return nodes.some(function (g) { return g.name === value || has(g.groups || []); }); }
        return has(res.json.groups) ? 'name: there is a group ' + value + ' in group system ' + system + ' already' : undefined;
      });
    },
    'content-known': function (value) {
      var names = value.split(/\\s+/).filter(function (n, i, all) { return n !== '' && all.indexOf(n) === i; }).slice(0, MAX_NAMES);
      return Promise.all(names.map(function (name) {
        return get('/api/content-types/' + encodeURIComponent(name)).then(refusedWith([404]));
      })).then(function (problems) { return problems.filter(Boolean).join('; ') || undefined; });
    },
  };

  function show(input, out, message) {
    out.textContent = message || '';
    out.className = message ? 'live bad' : 'live';
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  function broken(input) {
    var v = input.validity;
    return v.patternMismatch || v.tooShort || v.tooLong || v.typeMismatch || (input.minLength > 0 && input.value.length < input.minLength);
  }

  Array.prototype.forEach.call(document.querySelectorAll('form [data-invalid], form [data-check]'), function (input) {
    var out = document.getElementById(input.id + '-live');
    if (!out) return;
    var check = checks[input.getAttribute('data-check')];
    var asked = 0;
    var timer;
    function run() {
      var mine = ++asked;
      var value = input.value.trim();
      if (input.value === '') return show(input, out, '');
      if (broken(input)) return show(input, out, input.getAttribute('data-invalid') || input.validationMessage);
      if (!check || value === '') return show(input, out, '');
      check(value, input).then(
        function (message) { if (mine === asked) show(input, out, message); },
        function () { if (mine === asked) show(input, out, ''); }
      );
    }
    function soon() { clearTimeout(timer); timer = setTimeout(run, 300); }
    input.addEventListener('input', soon);
    input.addEventListener('change', run);
    // A group name is taken or free within its group system: a new system asks again.
    var system = input.getAttribute('data-check') === 'group-free' && input.form.elements.namedItem('system');
    if (system) system.addEventListener('input', soon);
  });
})();
`;

addAsset(ADMIN_FORMS_SCRIPT, SCRIPT, 'text/javascript; charset=utf-8');

import { addAsset } from '../../assets.js';

/** The application pages' own script (asset name); the pages work without it. */
export const APPS_SCRIPT = 'portal-apps.js';

/*
 * Two enhancements: a file picker that reads a CSR into its textarea (the form still posts the
 * text, so it works without the script, by pasting), and on the register form the SMART-only
 * fields shown only for a SMART app.
 */
const BODY = `
'use strict';
document.querySelectorAll('[data-file-into]').forEach(function (wrapper) {
  var input = wrapper.querySelector('input[type=file]');
  var target = document.getElementById(wrapper.getAttribute('data-file-into'));
  var status = wrapper.querySelector('[data-file-status]');
  if (!input || !target) return;
  wrapper.hidden = false;
  input.addEventListener('change', function () {
    var file = input.files && input.files[0];
    if (!file) return;
    if (file.size > 65536) {
      if (status) status.textContent = 'This file is too large to be a certificate signing request.';
      return;
    }
    file.text().then(function (text) {
      target.value = text;
      if (status) status.textContent = 'Read ' + file.name + ' into the field above.';
    });
  });
});
var typeSelect = document.querySelector('[data-client-type]');
if (typeSelect) {
  var sync = function () {
    document.querySelectorAll('[data-types]').forEach(function (el) {
      el.hidden = el.getAttribute('data-types').split(' ').indexOf(typeSelect.value) < 0;
    });
  };
  typeSelect.addEventListener('change', sync);
  sync();
}
`;

addAsset(APPS_SCRIPT, BODY, 'text/javascript; charset=utf-8');

import { createHash } from 'node:crypto';

/**
 * The portal's own stylesheet and script, served from /portal/assets/ (the CSP allows scripts
 * and styles from this server only, nothing inline). Pages work without the script; it adds copy
 * buttons, confirmations and live checks (progressive enhancement).
 */
const PORTAL_CSS = `
:root{--fg:#1d2330;--muted:#5a6275;--bg:#f4f5f7;--card:#fff;--accent:#1f4f9c;--danger:#a4262c;--ok:#1e6b34;--line:#d9dde5}
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg);margin:0}
a{color:var(--accent)}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #f0b400;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
header.top{background:#16233d;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem}
header.top nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
header.top a{color:#fff;text-decoration:none;padding:.25rem 0}
header.top a[aria-current=page]{border-bottom:2px solid #f0b400}
header.top .brand{font-weight:700;margin-right:auto}
header.top form{margin:0}
header.top button{background:none;border:1px solid #fff8;color:#fff;margin:0;padding:.2rem .7rem}
main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}
.card{background:var(--card);padding:1.25rem 1.5rem;border-radius:8px;box-shadow:0 1px 4px #0002;margin-bottom:1.25rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin-top:0}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
fieldset.choices{border:1px solid var(--line);border-radius:4px;margin:.75rem 0;padding:.25rem .75rem .5rem}fieldset.choices legend{font-weight:600;padding:0 .25rem}
label.option{display:flex;gap:.5rem;align-items:baseline;font-weight:normal;margin:.4rem 0}
.hint{color:var(--muted);font-size:.9rem;margin:.2rem 0}
input[type=text],input[type=email],input[type=password],input[type=url],input[type=search],input[type=date],select,textarea{width:100%;padding:.5rem;font:inherit;border:1px solid #8a93a6;border-radius:4px;background:#fff;color:var(--fg)}
textarea{font-family:ui-monospace,monospace;font-size:.9rem;min-height:12rem}
button,.button{font:inherit;padding:.5rem 1.1rem;margin:.75rem .5rem 0 0;border-radius:4px;border:1px solid #34435e;background:#fff;color:var(--fg);cursor:pointer;display:inline-block;text-decoration:none}
button.primary,.button.primary{background:var(--accent);color:#fff;border-color:var(--accent)}
button.danger{background:var(--danger);color:#fff;border-color:var(--danger)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.9rem;color:var(--muted)}
td form{display:inline}td button{margin:0}
.table-scroll{overflow-x:auto}
code,pre{font-family:ui-monospace,monospace;font-size:.9rem}
pre{background:#f0f2f6;padding:.75rem;overflow:auto;border-radius:4px;white-space:pre-wrap;word-break:break-all}
.error{background:#fde8e8;border:1px solid #d08080;padding:.5rem .75rem;border-radius:4px}
.notice{background:#fff6dd;border:1px solid #d8b860;padding:.5rem .75rem;border-radius:4px}
.success{background:#e5f5e9;border:1px solid #7cb88a;padding:.5rem .75rem;border-radius:4px}
.secret{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}.secret code{background:#f0f2f6;padding:.4rem .6rem;border-radius:4px;word-break:break-all}
.muted{color:var(--muted)}
.live{min-height:1.4em;margin:.2rem 0;font-size:.9rem}.live.bad{color:var(--danger);font-weight:600}
nav.tabs{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin-bottom:1rem}
nav.tabs a[aria-current=page]{font-weight:700;text-decoration:none}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}
@media (max-width:40rem){main{margin:1rem auto}.card{padding:1rem}th,td{padding:.35rem .25rem;font-size:.9rem}}
`;

const PORTAL_JS = `
'use strict';
document.addEventListener('click', function (event) {
  var button = event.target.closest('[data-copy]');
  if (!button) return;
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = 'Copied';
  });
});
document.addEventListener('submit', function (event) {
  var form = event.target;
  var question = form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) event.preventDefault();
});
`;

export interface Asset {
  readonly body: string;
  readonly contentType: string;
  /** Content hash: the URL carries it, so an asset can be cached for good. */
  readonly hash: string;
}

const assets = new Map<string, Asset>();

/** Registers an asset under its name; page modules add their own (a chart's script). */
export function addAsset(name: string, body: string, contentType: string): Asset {
  const asset = { body, contentType, hash: createHash('sha256').update(body).digest('base64url').slice(0, 12) };
  assets.set(name, asset);
  return asset;
}

export function asset(name: string): Asset | undefined {
  return assets.get(name);
}

/** The URL of an asset, with its hash (`/portal/assets/portal.css?v=…`). */
export function assetUrl(name: string): string {
  const found = assets.get(name);
  if (found === undefined) throw new Error(`no portal asset ${name}`);
  return `/portal/assets/${name}?v=${found.hash}`;
}

addAsset('portal.css', PORTAL_CSS, 'text/css; charset=utf-8');
addAsset('portal.js', PORTAL_JS, 'text/javascript; charset=utf-8');

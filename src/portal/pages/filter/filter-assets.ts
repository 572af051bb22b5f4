import { addAsset } from '../../assets.js';

/**
 * The filter editor's own stylesheet and script (the CSP allows this server's files only). The
 * page works without the script; it adds live content-type search (`GET /api/content-types`) and,
 * in expert mode, a check as one types (`POST /api/clients/:id/filter/check`), whose answers are
 * the server's own words. It builds nodes with textContent only: nothing it shows is parsed as HTML.
 */
const CSS = `
.filter-layout{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:0 1.25rem;align-items:start}
.filter-layout .plain-words{position:sticky;top:1rem}
.filter-editor fieldset{border:0;padding:0;margin:0 0 .75rem}
.filter-editor fieldset.card{padding:1.25rem 1.5rem;margin-bottom:1.25rem}
.filter-editor legend{font-weight:600;padding:0;margin:.75rem 0 .25rem}
.filter-editor legend h2.legend{margin:0}
.filter-editor h3{font-size:1rem;margin:1.25rem 0 .25rem;border-top:1px solid var(--line);padding-top:.75rem}
.filter-editor .choice,.filter-editor .choices li{margin:.2rem 0}
.filter-editor .choice label,.filter-editor .choices label,.filter-editor label.inline{display:inline;font-weight:400;margin:0 0 0 .35rem}
.filter-editor .choices{list-style:none;padding-left:0;margin:.25rem 0}
.filter-editor .choices.tree .choices.tree{padding-left:1.5rem}
.filter-editor .exclude{margin-left:.75rem;font-size:.9rem}
.filter-editor .search-row{display:flex;gap:.5rem;align-items:center}
.filter-editor .search-row button{margin:0}
.filter-editor .results:empty{display:none}
.filter-editor .dates{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:0 1rem}
.filter-editor .dates p{margin:0}
.filter-editor details{margin:.75rem 0}
.filter-editor summary{cursor:pointer;font-weight:600}
.filter-editor .actions{display:flex;flex-wrap:wrap}
.filter-editor textarea{min-height:3.5rem}
.filter-editor textarea#filter-json{min-height:24rem}
.filter-editor legend + h3{border-top:0;padding-top:0;margin-top:.5rem}
.filter-editor .description{padding-left:1.2rem}
@media (max-width:50rem){.filter-layout{grid-template-columns:1fr}.filter-layout .plain-words{position:static}}
`;

const SCRIPT = `
'use strict';
(function () {
  var form = document.querySelector('form[data-filter-editor]');
  if (!form) return;
  var clientId = form.getAttribute('data-client');
  var made = 0;

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function problemOf(json) {
    var issue = json && json.issue && json.issue[0];
    return (issue && issue.diagnostics) || 'The server could not check the filter.';
  }

  // Live content-type search: picked results (ticked boxes named like the chosen ones) move up
  // into the block's chosen list, so a new search never drops them; the form posts them as chosen.
  Array.prototype.forEach.call(form.querySelectorAll('input[data-search]'), function (input) {
    var block = input.getAttribute('data-search');
    var results = document.getElementById('b' + block + '-results');
    var chosen = document.getElementById('b' + block + '-selected');
    if (!results || !chosen) return;
    var asked = 0;
    function keepPicked() {
      Array.prototype.forEach.call(results.querySelectorAll('input[type=checkbox]:checked'), function (box) {
        chosen.appendChild(box.closest('li'));
      });
    }
    results.addEventListener('change', keepPicked);
    function show(types) {
      keepPicked();
      var taken = {};
      Array.prototype.forEach.call(chosen.querySelectorAll('input[type=checkbox]'), function (box) { taken[box.value] = true; });
      var items = types.filter(function (t) { return !taken[t.name]; }).map(function (t) {
        var id = 'b' + block + '-live-' + (++made);
        var li = el('li');
        var box = el('input');
        box.type = 'checkbox';
        box.id = id;
        box.name = 'b' + block + '.content';
        box.value = t.name;
        var label = el('label', '', t.label + ' ');
        label.htmlFor = id;
        label.appendChild(el('span', 'muted', '(' + t.name + ', ' + t.resourceType + ')'));
        li.appendChild(box);
        li.appendChild(label);
        return li;
      });
      if (items.length === 0) items = [el('li', 'muted', 'No other content type matches.')];
      results.replaceChildren.apply(results, items);
    }
    var search = debounce(function () {
      var q = input.value.trim();
      var mine = ++asked;
      if (q === '') { keepPicked(); results.replaceChildren(); return; }
      fetch('/api/content-types?limit=20&q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) { return r.json().then(function (json) { return { ok: r.ok, json: json }; }); })
        .then(function (res) {
          if (mine !== asked) return;
          if (res.ok) show(res.json.contentTypes);
          else results.replaceChildren(el('li', 'error', problemOf(res.json)));
        })
        .catch(function () { if (mine === asked) results.replaceChildren(el('li', 'error', 'The search failed: use the Search button.')); });
    }, 250);
    input.addEventListener('input', search);
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') { event.preventDefault(); search(); }
    });
  });

  // Expert mode: the server checks the text as typed (its own messages, JSON syntax included).
  var text = document.getElementById('filter-json');
  var out = document.getElementById('check-result');
  if (!text || !out) return;
  var writeMode = form.querySelector('[name=write_mode]');
  var reach = form.querySelector('select[name=reach]');
  var checked = 0;
  function showValid(json) {
    var nodes = [el('p', 'success', 'Valid. ' + (json.changed ? 'Saving it makes every user of the app confirm again.' : 'It is the saved filter: saving changes nothing.'))];
    if (json.filter === null) {
      nodes.push(el('p', '', 'No filter: the app reaches what the users\\u2019 consents and its scopes allow.'));
    } else {
      var list = el('ul', 'description');
      json.description.forEach(function (line) { list.appendChild(el('li', '', line)); });
      nodes.push(list);
    }
    var scopes = el('p', 'hint', 'Implied scopes: ');
    json.implied_scopes.forEach(function (s, i) {
      if (i > 0) scopes.appendChild(document.createTextNode(' '));
      scopes.appendChild(el('code', '', s));
    });
    nodes.push(scopes);
    text.removeAttribute('aria-invalid');
    out.replaceChildren.apply(out, nodes);
  }
  function showError(message) {
    var p = el('p', 'error', message);
    p.setAttribute('role', 'alert');
    text.setAttribute('aria-invalid', 'true');
    out.replaceChildren(p);
  }
  var check = debounce(function () {
    var mine = ++checked;
    var body = { filter_text: text.value, write_mode: writeMode.value };
    if (reach) body.reach = reach.value;
    fetch('/api/clients/' + encodeURIComponent(clientId) + '/filter/check', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    })
      .then(function (r) { return r.json().then(function (json) { return { ok: r.ok, json: json }; }); })
      .then(function (res) {
        if (mine !== checked) return;
        if (res.ok) showValid(res.json);
        else showError(problemOf(res.json));
      })
      .catch(function () { if (mine === checked) showError('The server could not be reached: use the Check button.'); });
  }, 400);
  text.addEventListener('input', check);
  writeMode.addEventListener('change', check);
  if (reach) reach.addEventListener('change', check);
})();
`;

addAsset('filter-editor.css', CSS, 'text/css; charset=utf-8');
addAsset('filter-editor.js', SCRIPT, 'text/javascript; charset=utf-8');

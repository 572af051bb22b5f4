import assert from 'node:assert/strict';
import { test } from 'node:test';
import { html } from './html.js';

test('every interpolated value is escaped; nested html is not escaped twice', () => {
  const name = `<script>alert("x")</script>&'`;
  const inner = html`<b>${name}</b>`;
  const page = html`<p title="${name}">${inner}${[html`<i>${1}</i>`, '<']}${undefined}</p>`;
  assert.equal(
    page.text,
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</b><i>1</i>&lt;</p>',
  );
});

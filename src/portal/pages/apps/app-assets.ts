import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { addAsset } from '../../assets.js';

/**
 * The statistics page's charts: uPlot (a 50 kB canvas charting library, MIT) served as portal
 * assets, and a script that draws the page's numbers from GET /api/clients/:id/statistics. uPlot
 * styles its elements through the CSSOM (`el.style.x = …`), which a `style-src 'self'` CSP
 * allows; nothing is inline. Without script, the page's table has every number.
 */
const CHART_JS = `
'use strict';
(function () {
  var root = document.getElementById('statistics-charts');
  if (!root || typeof uPlot !== 'function' || !window.fetch) return;
  var status = root.querySelector('[data-chart-status]');
  var say = function (text) { if (status) status.textContent = text; };
  fetch(root.getAttribute('data-source'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
    .then(function (res) {
      if (!res.ok) throw new Error('the server answered ' + res.status);
      return res.json();
    })
    .then(draw)
    .catch(function (e) { say('The charts could not be drawn (' + e.message + '); the table below has the same numbers.'); });

  function column(stats, pick) { return stats.days.map(pick); }

  function draw(stats) {
    var days = column(stats, function (d) { return Date.parse(d.day + 'T00:00:00Z') / 1000; });
    var charts = [
      make('requests', [days, column(stats, function (d) { return d.requests; }), column(stats, function (d) { return d.errors; })],
        [{ label: 'Requests', stroke: '#1f4f9c', width: 2 }, { label: 'Errors', stroke: '#a4262c', width: 2 }], 'requests'),
      make('latency', [days, column(stats, function (d) { return d.latency_ms.p50; }), column(stats, function (d) { return d.latency_ms.p95; })],
        [{ label: 'p50 (ms)', stroke: '#1e6b34', width: 2 }, { label: 'p95 (ms)', stroke: '#b35c00', width: 2 }], 'ms')
    ];
    say('');
    window.addEventListener('resize', function () {
      charts.forEach(function (c) { if (c) c.plot.setSize({ width: widthOf(c.el), height: 240 }); });
    });
  }

  function widthOf(el) { return Math.max(260, el.clientWidth); }

  function make(name, data, series, unit) {
    var el = root.querySelector('[data-chart="' + name + '"]');
    if (!el) return undefined;
    var plot = new uPlot({
      width: widthOf(el),
      height: 240,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [{}, { label: unit, size: 60 }],
      series: [{ label: 'Day (UTC)' }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.stroke, width: s.width, points: { show: true, size: 5 } };
      }))
    }, data, el);
    return { el: el, plot: plot };
  }
})();
`;

/**
 * The two pages' own few rules (portal.css is the frame's, and has .table-scroll): long paths
 * and header values wrap on a phone, and the focused scrolling table shows its focus.
 */
const PAGES_CSS = `
.table-scroll:focus{outline:3px solid #f0b400;outline-offset:2px}
.wrap{word-break:break-all}
.chart{margin-bottom:1rem}
`;

const require = createRequire(import.meta.url);

let registered = false;

/** Reads uPlot once (at start, when the pages are made) and registers it, the chart script and the pages' styles. */
export function registerAppAssets(): void {
  if (registered) return;
  registered = true;
  addAsset('uplot.js', readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'), 'text/javascript; charset=utf-8');
  addAsset('uplot.css', readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'), 'text/css; charset=utf-8');
  addAsset('statistics-chart.js', CHART_JS, 'text/javascript; charset=utf-8');
  addAsset('app-pages.css', PAGES_CSS, 'text/css; charset=utf-8');
}

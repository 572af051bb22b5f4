import { type ClientStatistics, type ClientStatisticsView, type StatisticsDay } from '../../../audit/client-statistics.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { daysParam } from '../../../http/statistics-api-routes.js';
import { assetUrl } from '../../assets.js';
import { page } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { appRoute, appTabs, scopeOf } from './apps-common.js';
import { registerAppAssets } from './app-assets.js';

export interface AppStatisticsDeps {
  /** The service GET /api/clients/:id/statistics answers from. */
  readonly statistics: ClientStatistics;
}

const PERIODS: readonly number[] = [7, 30, 90];

/** /portal/apps/:id/statistics: requests, errors and latency per day (charts and a table), and the latest errors. */
export function appStatisticsPages(deps: AppStatisticsDeps): PortalRoute[] {
  registerAppAssets();
  return [
    appRoute('GET', '/portal/apps/:id/statistics', async (req) => {
      const id = req.params.id ?? '';
      // A bad ?days= is the API's 400, shown as the portal's error page.
      const days = daysParam(req.query.get('days'));
      const stats = await deps.statistics.read(id, scopeOf(req), days);
      return page(`Statistics · ${stats.client_name}`, statisticsBody(stats, days));
    }, ['uplot.js', 'statistics-chart.js']),
  ];
}

function statisticsBody(stats: ClientStatisticsView, days: number): SafeHtml {
  const id = stats.client_id;
  const total = (pick: (d: StatisticsDay) => number) => stats.days.reduce((n, d) => n + pick(d), 0);
  const requests = total((d) => d.requests);
  const errors = total((d) => d.errors);
  const active = [...stats.days].reverse().filter((d) => d.requests > 0);
  const source = `/api/clients/${encodeURIComponent(id)}/statistics?days=${days}`;
  return html`${appTabs(id, 'statistics')}
<link rel="stylesheet" href="${assetUrl('uplot.css')}">
<link rel="stylesheet" href="${assetUrl('app-pages.css')}">
<section class="card" aria-labelledby="period-heading">
<h2 id="period-heading">The last ${days} days</h2>
<form method="get" action="/portal/apps/${encodeURIComponent(id)}/statistics">
<label for="days">Period</label>
<select id="days" name="days">${PERIODS.map((p) => html`<option value="${p}"${p === days ? html` selected` : ''}>${p} days</option>`)}</select>
<button type="submit">Show</button>
</form>
<p id="totals"><strong>${requests}</strong> ${requests === 1 ? 'request' : 'requests'}, <strong>${errors}</strong> ${errors === 1 ? 'error' : 'errors'} (${requests === 0 ? '0' : ((100 * errors) / requests).toFixed(1)}%). Days are UTC; counts are this application's FHIR and Bulk Data requests on every server node.</p>
</section>
<section class="card" aria-labelledby="charts-heading">
<h2 id="charts-heading">Charts</h2>
<div id="statistics-charts" data-source="${source}">
<p class="muted" role="status" data-chart-status>The charts need JavaScript; the table below has the same numbers.</p>
<h3 id="requests-chart">Requests and errors per day</h3>
<div class="chart" data-chart="requests" role="img" aria-labelledby="requests-chart"></div>
<h3 id="latency-chart">Latency per day: median (p50) and 95th percentile (p95), in milliseconds</h3>
<div class="chart" data-chart="latency" role="img" aria-labelledby="latency-chart"></div>
</div>
</section>
<section class="card" aria-labelledby="days-heading">
<h2 id="days-heading">Per day</h2>
${
  active.length === 0
    ? html`<p>No requests in this period.</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="days-heading"><table>
<caption class="muted">Days with requests, newest first</caption>
<thead><tr><th scope="col">Day (UTC)</th><th scope="col">Requests</th><th scope="col">Errors</th><th scope="col">Errors by status</th><th scope="col">p50 ms</th><th scope="col">p95 ms</th><th scope="col">p99 ms</th></tr></thead>
<tbody>${active.map(
        (d) => html`<tr><th scope="row">${d.day}</th><td>${d.requests}</td><td>${d.errors}</td><td>${
          Object.entries(d.statuses)
            .map(([s, n]) => `${s}: ${n}`)
            .join(', ') || '–'
        }</td><td>${ms(d.latency_ms.p50)}</td><td>${ms(d.latency_ms.p95)}</td><td>${ms(d.latency_ms.p99)}</td></tr>`,
      )}</tbody>
</table></div>`
}
</section>
<section class="card" aria-labelledby="errors-heading">
<h2 id="errors-heading">Latest errors</h2>
${
  stats.latest_errors.length === 0
    ? html`<p>No errors recorded.</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="errors-heading"><table id="latest-errors">
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Diagnostics</th></tr></thead>
<tbody>${stats.latest_errors.map(
        (e) => html`<tr><td>${e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</td><td><code class="wrap">${e.method} ${e.path}</code></td><td>${e.status}</td><td class="wrap">${e.diagnostics ?? '–'}</td></tr>`,
      )}</tbody>
</table></div>
<p class="hint">Paths keep the names of query parameters, not their values.</p>`
}
</section>`;
}

function ms(value: number | null): string {
  return value === null ? '–' : String(value);
}

/**
 * The page at `/` in a real browser (Debian's chromium, driven by
 * playwright-core) on the running example daemon: a child process with its
 * federation peer, on free ports. WUNDR_SCREENSHOTS=<dir> also saves the
 * screenshots the README shows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EndpointServer } from '../../src/endpoint/EndpointServer.ts';
import { pageRoutes, tracesRoute } from '../../src/embedded/routes.ts';
import { eventually, freePort, request, ROOT, runChild, type Child } from '../support/child.ts';

const MAIN = path.join(ROOT, 'build', 'examples', 'daemon', 'main.js');
const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && fs.existsSync(p));
const SHOTS = process.env.WUNDR_SCREENSHOTS;
/** Seconds of traffic before the screenshots, so the charts have some history (WUNDR_SCREENSHOTS_AFTER). */
const SHOTS_AFTER = Number(process.env.WUNDR_SCREENSHOTS_AFTER ?? '0');

let child: Child | undefined;
let port = 0;

before(async () => {
  if (!CHROMIUM) return;
  port = await freePort();
  child = runChild({
    args: ['--require', REGISTER, MAIN, '--duration', String(120 + SHOTS_AFTER)],
    env: {
      OTEL_SERVICE_NAME: 'wundr-orchestrator',
      // No collector: the exports fail quietly, the page is all there is.
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'info',
      APP_PORT: '0',
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      PEER_METRICS_PORT: String(await freePort()),
      WUNDR_OTEL_RETENTION_INTERVAL: '1',
      WUNDR_OTEL_JAEGER_UI_URL: 'http://127.0.0.1:16686',
      WUNDR_DEMO_RATE: '1',
      WUNDR_DEMO_DELEGATE_EVERY: '2',
      WUNDR_DEMO_SEED: '7',
    },
  });
  await child.waitForOutput(/open http:\/\/127\.0\.0\.1:\d+\//, 30000);
});

after(() => child?.kill('SIGKILL'));

/** Whether the trace's view has the peer's spans and a log line. */
async function delegated(traceId: string): Promise<boolean> {
  const r = await request(port, `/traces/${traceId}`);
  if (r.status !== 200) return false;
  const v = JSON.parse(r.body) as { spans: { service: string }[]; logs: unknown[] };
  return new Set(v.spans.map((s) => s.service)).size > 1 && v.logs.length > 0;
}

interface Summary {
  traceId: string;
  spanCount: number;
  services: string[];
}

test('the page shows health, traces and a waterfall with log lines, without a console error', { skip: CHROMIUM ? false : 'no chromium (apt-get install chromium)' }, async () => {
  // Traffic first: a delegated task's trace (this process's spans and the peer's) with log lines.
  await eventually(async () => {
    const list = JSON.parse((await request(port, '/traces?limit=20')).body) as { traces: Summary[] };
    for (const t of list.traces.filter((x) => x.spanCount >= 5)) if (await delegated(t.traceId)) return;
    throw new Error(`no delegated trace with log lines yet among ${list.traces.length} traces`);
  }, 60000);

  if (SHOTS && SHOTS_AFTER > 0) await new Promise((r) => setTimeout(r, SHOTS_AFTER * 1000));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(`http://127.0.0.1:${port}/`)) outside.push(r.url());
    });

    const res = await page.goto(`http://127.0.0.1:${port}/`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);

    // Health: the overall status and the components.
    // A locator, not waitForFunction: a string predicate is evaluated with the page's eval, which its CSP refuses.
    await page.locator('#status-text').filter({ hasText: /^(healthy|degraded|unhealthy)$/ }).waitFor({ timeout: 20000 });
    assert.ok((await page.locator('#components .comp').count()) >= 5, 'the health components');
    // Charts drawn from the retention store.
    await page.waitForSelector('#charts .chart svg path.line', { timeout: 20000 });

    // A delegated trace of at least 5 spans from the list the page shows, then its waterfall.
    await page.waitForSelector('#traces tr[data-trace-id]');
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'embedded-page.png'), fullPage: true });
    const pick = await eventually(async () => {
      const rowsShown = await page.locator('#traces tr[data-trace-id]').evaluateAll((trs) =>
        trs.map((tr) => ({ id: String(tr.getAttribute('data-trace-id')), spans: Number(tr.querySelector('td.num')?.textContent) })),
      );
      for (const r of rowsShown.filter((x) => x.spans >= 5)) if (await delegated(r.id)) return r;
      throw new Error('no delegated trace in the list yet');
    }, 30000);
    assert.ok(pick.spans >= 5, 'a trace of at least 5 spans in the list');
    // The list refreshes every 5 s: the row is clicked by its id.
    await page.locator(`#traces tr[data-trace-id="${pick.id}"]`).click();
    await page.waitForSelector('#waterfall .wf-row');
    const rows = page.locator('#waterfall .wf-row');
    assert.ok((await rows.count()) >= 5, 'the waterfall shows the spans');
    const services = await page.locator('#waterfall .wf-row .svc').allTextContents();
    assert.ok(services.includes('wundr-orchestrator') && services.includes('wundr-orchestrator-peer'), `both processes' spans: ${[...new Set(services)].join(', ')}`);
    await page.waitForSelector('#logs td.msg');
    assert.ok((await page.locator('#logs td.msg').count()) >= 1, 'a log line of the trace');
    assert.equal(await page.locator('#jaeger-link').getAttribute('href'), `http://127.0.0.1:16686/trace/${pick.id}`);
    // A span's attributes open on click.
    await rows.nth(1).click();
    await page.waitForSelector('#span-detail dl dt');
    if (SHOTS) await page.locator('#trace-card').screenshot({ path: path.join(SHOTS, 'embedded-waterfall.png') });

    assert.deepEqual(problems, [], 'no console error, page error or failed request');
    assert.deepEqual(outside, [], 'no request leaves the endpoint');
  } finally {
    await browser.close();
  }
});

test('the page is one HTML file with its script and styles beside it, no inline script', { skip: CHROMIUM ? false : 'no chromium' }, async () => {
  const page = await request(port, '/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<script src="assets\/app\.js" defer><\/script>/);
  assert.doesNotMatch(page.body, /<script>(?!<\/script>)/, 'no inline script');
  for (const a of ['/assets/app.js', '/assets/app.css']) assert.equal((await request(port, a)).status, 200, a);
});

/** This machine's first non-loopback IPv4 address: a request to it does not come from loopback. */
const OWN_ADDRESS = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

test('opened from another address without a token, the page says why it shows no trace', { skip: !CHROMIUM ? 'no chromium' : !OWN_ADDRESS ? 'no non-loopback address on this machine' : false }, async (t) => {
  const server = new EndpointServer({ host: OWN_ADDRESS!, port: 0 });
  for (const r of pageRoutes({ jaegerUiUrl: undefined })) server.addRoute(r);
  server.addRoute(tracesRoute({ ring: () => undefined, peers: () => [], token: undefined }));
  assert.equal(await server.start(), true);
  t.after(() => server.stop());
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    const answers: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/traces') answers.push(r.status());
    });
    await page.goto(`http://${OWN_ADDRESS}:${server.port}/`);
    const note = page.locator('#traces td', { hasText: 'WUNDR_OTEL_ENDPOINT_TOKEN' });
    await note.waitFor({ timeout: 20000 });
    assert.match(await note.innerText(), /loopback callers only/);
    assert.ok(answers.length > 0 && answers.every((s) => s === 403), `the endpoint refused /traces: ${answers.join(', ')}`);
    assert.equal(await page.locator('#traces tr[data-trace-id]').count(), 0);
  } finally {
    await browser.close();
  }
});

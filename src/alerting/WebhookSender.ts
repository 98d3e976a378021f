import * as http from 'node:http';
import { diag } from '@opentelemetry/api';
import type { Alert } from './types.ts';
import { scrubText, webhookUrlForDisplay } from '../logging/scrubText.ts';

export interface WebhookConfig {
  url: string;
  /** Per attempt, ms. Default 5000. */
  timeoutMs?: number;
  /** Extra attempts after the first (5xx, 429, network errors). Default 2. */
  retries?: number;
  /** First back-off, ms (doubles each retry). Default 250. */
  backoffMs?: number;
  headers?: Record<string, string>;
  /**
   * `alertmanager` (default): the array Alertmanager's POST /api/v2/alerts takes.
   * `webhook`: Alertmanager's webhook-notification payload (version 4), as its receivers get it.
   */
  format?: 'alertmanager' | 'webhook';
}

export interface WebhookStats {
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  inFlight: number;
}

/** The Alertmanager v2 postable alert of one alert instance. */
export function toAlertmanagerAlert(a: Alert, generatorURL?: string): Record<string, unknown> {
  return {
    labels: { alertname: a.rule, severity: a.severity, ...a.labels },
    annotations: a.annotations,
    startsAt: a.firedAt ?? a.activeAt,
    ...(a.resolvedAt ? { endsAt: a.resolvedAt } : {}),
    ...(generatorURL ? { generatorURL } : {}),
  };
}

/** The body a webhook receives for these alerts. Pure. */
export function webhookBody(alerts: Alert[], format: WebhookConfig['format'] = 'alertmanager', receiver = 'wundr-otel'): string {
  if (format === 'webhook') {
    const firing = alerts.some((a) => a.state === 'firing');
    const common = (pick: (a: Alert) => Record<string, string>): Record<string, string> => {
      if (alerts.length === 0) return {};
      const [first, ...rest] = alerts.map(pick);
      return Object.fromEntries(Object.entries(first!).filter(([k, v]) => rest.every((r) => r[k] === v)));
    };
    const commonLabels = common((a) => ({ alertname: a.rule, severity: a.severity, ...a.labels }));
    return JSON.stringify({
      version: '4',
      groupKey: `{}:{alertname="${alerts[0]?.rule ?? ''}"}`,
      truncatedAlerts: 0,
      status: firing ? 'firing' : 'resolved',
      receiver,
      groupLabels: { alertname: alerts[0]?.rule ?? '' },
      commonLabels,
      commonAnnotations: common((a) => a.annotations),
      externalURL: '',
      alerts: alerts.map((a) => ({
        status: a.state === 'resolved' ? 'resolved' : 'firing',
        ...toAlertmanagerAlert(a),
        endsAt: a.resolvedAt ?? '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: a.id,
      })),
    });
  }
  return JSON.stringify(alerts.map((a) => toAlertmanagerAlert(a)));
}

const MAX_IN_FLIGHT = 64;

/**
 * Fire-and-forget delivery: `send()` returns at once; deliveries to one URL
 * go out in order, each POST with a per-attempt timeout and bounded
 * retries, its socket and timers unref()ed; past 64 deliveries queued or in
 * flight new ones are dropped and counted. A dead
 * or slow receiver therefore never blocks evaluation nor keeps the process alive.
 */
export class WebhookSender {
  readonly stats: WebhookStats = { sent: 0, failed: 0, retried: 0, dropped: 0, inFlight: 0 };
  private readonly pending = new Set<Promise<void>>();
  private readonly chains = new Map<string, Promise<void>>();

  send(config: WebhookConfig, alerts: Alert[]): void {
    if (this.stats.inFlight >= MAX_IN_FLIGHT) {
      this.stats.dropped++;
      diag.warn(`@wundr/otel: alert webhook ${webhookUrlForDisplay(config.url)}: ${MAX_IN_FLIGHT} deliveries in flight; dropping one`);
      return;
    }
    this.stats.inFlight++;
    const body = webhookBody(alerts, config.format);
    // One receiver gets its deliveries in order: a "resolved" overtaking its "firing" would
    // leave Alertmanager showing the alert as firing until its resolve timeout.
    const prev = this.chains.get(config.url) ?? Promise.resolve();
    const p: Promise<void> = prev
      .then(() => this.deliver(config, body))
      .finally(() => {
        this.stats.inFlight--;
        this.pending.delete(p);
        if (this.chains.get(config.url) === p) this.chains.delete(config.url);
      });
    this.chains.set(config.url, p);
    this.pending.add(p);
  }

  /** Waits for deliveries in flight (bounded by their own timeouts). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async deliver(config: WebhookConfig, body: string): Promise<void> {
    const retries = Math.max(0, Math.min(10, config.retries ?? 2));
    let backoff = config.backoffMs ?? 250;
    for (let attempt = 0; ; attempt++) {
      const r = await postOnce(config, body);
      if (r.ok) {
        this.stats.sent++;
        return;
      }
      if (!r.retryable || attempt >= retries) {
        this.stats.failed++;
        diag.warn(`@wundr/otel: alert webhook ${webhookUrlForDisplay(config.url)} failed after ${attempt + 1} attempt(s): ${scrubText(r.reason)}`);
        return;
      }
      this.stats.retried++;
      await new Promise<void>((res) => setTimeout(res, backoff).unref());
      backoff *= 2;
    }
  }
}

function postOnce(config: WebhookConfig, body: string): Promise<{ ok: boolean; retryable: boolean; reason: string }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: { ok: boolean; retryable: boolean; reason: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      resolve({ ok: false, retryable: false, reason: 'bad URL' });
      return;
    }
    // https (tls, crypto) is loaded on the first https delivery only.
    const mod: typeof http = url.protocol === 'https:' ? (require('node:https') as typeof http) : http;
    const timeoutMs = config.timeoutMs ?? 5000;
    const req = mod.request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'User-Agent': '@wundr/otel', ...config.headers },
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    req.on('socket', (s) => s.unref());
    req.on('error', (err) => finish({ ok: false, retryable: true, reason: err.message }));
    req.on('response', (res) => {
      res.resume();
      res.on('error', () => undefined);
      const code = res.statusCode ?? 0;
      const ok = code >= 200 && code < 300;
      finish({ ok, retryable: code >= 500 || code === 429, reason: `HTTP ${code}` });
    });
    req.end(body);
  });
}

import type { Feature } from '../feature.ts';
import { PACKAGE_VERSION } from '../version.ts';

let ready = false;

/** Tells /ready that the application has finished starting. */
export function setReady(value: boolean): void {
  ready = value;
}

/** Minimal /health, /ready and /live; the full model of seed §6 replaces it. */
export function healthFeature(): Feature {
  return {
    name: 'health',
    configure(b) {
      if (!b.config.health.enabled) return;
      const json = (status: number, body: unknown) => ({
        status,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      b.routes.push(
        {
          method: 'GET',
          path: '/health',
          handler: () =>
            json(200, {
              status: 'healthy',
              version: PACKAGE_VERSION,
              uptime: Math.round(process.uptime()),
              timestamp: new Date().toISOString(),
            }),
        },
        {
          method: 'GET',
          path: '/ready',
          handler: () =>
            json(ready ? 200 : 503, {
              ready,
              timestamp: new Date().toISOString(),
              message: ready ? 'ready' : 'the application has not reported ready',
            }),
        },
        { method: 'GET', path: '/live', public: true, handler: () => json(200, { alive: true, timestamp: new Date().toISOString() }) },
      );
    },
  };
}

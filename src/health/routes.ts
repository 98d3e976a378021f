import { json, type Route } from '../endpoint/EndpointServer.ts';
import { healthStatusToHttpCode, type HealthChecker } from './HealthChecker.ts';


/**
 * /health (seed EnhancedHealthResponse; 200 healthy/degraded, 503 unhealthy),
 * /ready (503 until setReady(true) and while unhealthy) and /live (always 200,
 * no token: a liveness probe must not depend on secrets). With checks off
 * (HEALTH_CHECK_ENABLED=false) /health is not served and /ready follows the
 * ready flag alone.
 */
export function healthRoutes(checker: HealthChecker): Route[] {
  const routes: Route[] = [];
  if (checker.isEnabled) {
    routes.push({
      method: 'GET',
      path: '/health',
      handler: async () => {
        const h = await checker.check();
        return json(healthStatusToHttpCode(h.status), h);
      },
    });
  }
  routes.push(
    {
      method: 'GET',
      path: '/ready',
      handler: async () => {
        const r = await checker.readiness();
        return json(r.ready ? 200 : 503, r);
      },
    },
    { method: 'GET', path: '/live', public: true, handler: () => json(200, checker.liveness()) },
  );
  return routes;
}

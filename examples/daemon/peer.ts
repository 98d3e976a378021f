/**
 * The second simulated orchestrator, the federation peer: its own process
 * with its own OTEL_SERVICE_NAME, preloaded with @wundr/otel. It accepts
 * delegations on POST /federation/delegate (the HTTP instrumentation takes
 * the caller's `traceparent`, or the legacy `x-trace-id`, so its spans join
 * the delegating orchestrator's trace) and runs each as a short session.
 * It prints `peer listening on <port>` and exits when its parent goes away.
 */
import * as http from 'node:http';
import { readBody } from '../../src/endpoint/EndpointServer.ts';
import { instrumentLlmClient, instrumentSessionExecutor, setReady, StructuredLogger } from '../../src/index.ts';
import { McpToolRegistry, MemoryManager, Rng, SessionExecutor, SimulatedLlmClient, ToolExecutor, type Task } from './sim.ts';

const orchestratorId = process.env.WUNDR_ORCHESTRATOR_ID ?? 'orch-peer';
const knobs = {
  errorRate: Number(process.env.WUNDR_DEMO_ERROR_RATE ?? 0.03),
  rateLimitRate: Number(process.env.WUNDR_DEMO_RATE_LIMIT_RATE ?? 0.03),
  latencyScale: Number(process.env.WUNDR_DEMO_LATENCY_SCALE ?? 1),
};
const rng = new Rng(Number(process.env.WUNDR_DEMO_SEED ?? Date.now()) + 1);
const llm = new SimulatedLlmClient('openai', rng, knobs);
const executor = new SessionExecutor({ llm, tools: new ToolExecutor(new McpToolRegistry(rng, knobs)), memory: new MemoryManager(rng), model: 'gpt-4o' });
const undos = [instrumentLlmClient(llm, { orchestratorId }), instrumentSessionExecutor(executor, { orchestratorId })];
const log = new StructuredLogger('FederationPeer', undefined, { orchestratorId });
let n = 0;

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/federation/delegate') {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  readBody(req)
    .then(async (text) => {
      const body = JSON.parse(text) as { from?: string; task?: Partial<Task> };
      const task: Task = { id: String(body.task?.id ?? `t${++n}`), type: String(body.task?.type ?? 'delegated'), description: String(body.task?.description ?? ''), priority: 'normal' };
      log.info('Delegation received', { from: body.from, taskId: task.id });
      const session = { id: `peer_session_${++n}`, orchestratorId, type: 'claude-code' as const, task, status: 'running' as const, startedAt: new Date() };
      const result = await executor.executeSession(session, task);
      res.writeHead(result.success ? 200 : 502, { 'content-type': 'application/json' }).end(JSON.stringify({ status: result.success ? 'accepted' : 'failed', iterations: result.iterations }));
    })
    .catch((err: Error) => {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message }));
    });
});

server.listen(Number(process.env.APP_PORT ?? 0), '127.0.0.1', () => {
  setReady(true);
  process.stdout.write(`peer listening on ${(server.address() as { port: number }).port}\n`);
});

function stop(): void {
  setReady(false);
  for (const u of undos) u();
  server.close();
  server.closeAllConnections();
  if (process.connected) process.disconnect();
  // The preload flushes telemetry on beforeExit.
}
process.on('disconnect', stop);
process.on('SIGTERM', stop);

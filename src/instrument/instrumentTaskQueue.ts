import { queueMetrics } from '../metrics/wundrMetrics.ts';
import { claim, guard, isThenable, requireObject, since, wrapMethod, type Undo } from './patch.ts';

export interface InstrumentTaskQueueOptions {
  /** Label `queue_name`. */
  name: string;
  /** Method names. Default `{ enqueue: 'enqueue', dequeue: 'dequeue', process: 'process' }`; a missing process method is skipped. */
  methods?: { enqueue?: string; dequeue?: string; process?: string };
  /** Current depth; default: the queue's `size` (number or method) or `length`. */
  depth?: () => number;
}

/**
 * Queue metrics (docs/METRICS.md "Queue and Processing", the `queuedTasks` of
 * getStatus()): `wundr_queue_enqueued_total`, `_dequeued_total`,
 * `wundr_queue_depth` after each change, and `_processing_duration_seconds`
 * around the process method (no span: the item's work belongs to the trace
 * of whoever enqueued it).
 * Returns the undo function.
 */
export function instrumentTaskQueue(queue: object, options: InstrumentTaskQueueOptions): Undo {
  requireObject(queue, 'instrumentTaskQueue', 'the task queue');
  if (!options || typeof options.name !== 'string' || options.name === '') throw new Error('@wundr/otel: instrumentTaskQueue() needs options.name (the queue_name label)');
  const q = queue as Record<string, unknown>;
  const m = { enqueue: 'enqueue', dequeue: 'dequeue', process: 'process', ...options.methods };
  for (const k of ['enqueue', 'dequeue'] as const) {
    if (typeof q[m[k]] !== 'function') throw new Error(`@wundr/otel: instrumentTaskQueue() needs a ${m[k]}() method (options.methods.${k})`);
  }
  const finish = claim(queue, 'instrumentTaskQueue');
  const labels = { queue_name: options.name };
  const depth =
    options.depth ??
    (() => {
      const s = q.size ?? q.length;
      return typeof s === 'function' ? Number((s as () => number).call(queue)) : Number(s);
    });
  const update = () =>
    guard('queue depth', () => {
      const d = depth();
      if (Number.isFinite(d)) queueMetrics.depth.set(labels, d);
    });
  const undos: Undo[] = [];
  try {
    undos.push(
      wrapMethod(queue, m.enqueue, (original) =>
        function (this: unknown, ...args: unknown[]) {
          const r = original.apply(this, args);
          guard('queue metrics', () => queueMetrics.enqueued.inc(labels));
          update();
          return r;
        },
      ),
    );
    undos.push(
      wrapMethod(queue, m.dequeue, (original) =>
        function (this: unknown, ...args: unknown[]) {
          const r = original.apply(this, args);
          if (r !== undefined && r !== null) guard('queue metrics', () => queueMetrics.dequeued.inc(labels));
          update();
          return r;
        },
      ),
    );
    if (typeof q[m.process] === 'function') {
      undos.push(
        wrapMethod(queue, m.process, (original) =>
          function (this: unknown, ...args: unknown[]) {
            // No span: the work a queue item carries (a session) is a child of
            // the request that enqueued it, not of the queue (docs/TRACING.md tree).
            const t0 = performance.now();
            const end = () => guard('queue metrics', () => queueMetrics.processingDuration.observe(labels, since(t0)));
            let out: unknown;
            try {
              out = original.apply(this, args);
            } catch (err) {
              end();
              throw err;
            }
            if (isThenable(out)) {
              return (out as Promise<unknown>).then(
                (v) => {
                  end();
                  return v;
                },
                (err: unknown) => {
                  end();
                  throw err;
                },
              );
            }
            end();
            return out;
          },
        ),
      );
    }
  } catch (err) {
    finish(undos)();
    throw err;
  }
  update();
  return finish(undos);
}

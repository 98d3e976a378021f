import diagnostics_channel from 'node:diagnostics_channel';

/**
 * diagnostics_channel names published by the tracing helpers and adapters
 * (STYLE.md habit 8). Messages are published only when someone subscribes,
 * so nobody pays for them otherwise.
 *
 * - `wundr:tracing:span-expired`  `{ span, reason }`   a helper span was ended by the TTL sweep
 * - `wundr:instrument:event`      `{ adapter, event, attributes }`  one adapter observation
 */
export const CHANNELS = {
  spanExpired: 'wundr:tracing:span-expired',
  instrumentEvent: 'wundr:instrument:event',
} as const;

const channels = new Map<string, diagnostics_channel.Channel>();

export function channel(name: string): diagnostics_channel.Channel {
  let c = channels.get(name);
  if (!c) channels.set(name, (c = diagnostics_channel.channel(name)));
  return c;
}

/** Publishes when there are subscribers; a throwing subscriber never reaches the caller. */
export function publish(name: string, message: unknown): void {
  const c = channel(name);
  if (!c.hasSubscribers) return;
  try {
    c.publish(message);
  } catch {
    // diagnostics_channel reports subscriber errors on process 'uncaughtException' via nextTick in some versions; nothing to do here.
  }
}

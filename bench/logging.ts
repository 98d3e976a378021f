/**
 * Logging hot path (issue 4): time per `logger.info('msg', {a, b, c})` in
 * json mode to /dev/null, against pino writing the same fields and against
 * the floor (JSON.stringify + the same asynchronous write), and the cost of
 * a call below the level threshold.
 *
 * Scenarios run in interleaved rounds (each round runs every scenario once,
 * in rotating order), so drift in CPU speed hits all of them alike; the
 * report is the median over rounds and the ratio to pino.
 *
 *   node_modules/.bin/node build/bench/logging.js [rounds] [callsPerRound]
 */
import * as fs from 'node:fs';
import { logs, SeverityNumber } from '@opentelemetry/api';
import { LoggerProvider, BatchLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ExportResultCode } from '@opentelemetry/core';
import { StructuredLogger, configureLogging, getLoggingStats, flushLogs, LogLineProcessor } from '../src/logging/index.ts';
import { LineWriter } from '../src/logging/LineWriter.ts';
import { refreshOtelLogger } from '../src/logging/runtime.ts';

const ROUNDS = Number(process.argv[2] ?? 15);
const N = Number(process.argv[3] ?? 20000);
/** Calls between yields to the event loop, so every writer can drain alike (as a server's request handlers would). */
const CHUNK = 500;

// A sink that counts what the batch processor hands it (stands in for OTLP).
let exported = 0;
const countingExporter: LogRecordExporter = {
  export(records: ReadableLogRecord[], cb) {
    exported += records.length;
    cb({ code: ExportResultCode.SUCCESS });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};

async function main(): Promise<void> {
  const pino = require('pino') as typeof import('pino');
  const devnull = fs.openSync('/dev/null', 'w');

  // OTel pipeline as the SDK builds it with OTEL_LOGS_EXPORTER=otlp.
  const provider = new LoggerProvider({
    processors: [new BatchLogRecordProcessor({ exporter: countingExporter, maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 50 })],
  });
  logs.setGlobalLoggerProvider(provider);
  refreshOtelLogger();
  configureLogging({ format: 'json', level: 'info', destination: devnull, emitRecords: true });

  const ours = new StructuredLogger('SessionExecutor');
  const pinoLogger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: '/dev/null', sync: false }));
  const pinoChild = pinoLogger.child({ component: 'SessionExecutor' });
  const pinoEpoch = pino({ base: undefined }, pino.destination({ dest: '/dev/null', sync: false })).child({ component: 'SessionExecutor' });
  const floorWriter = new LineWriter(fs.openSync('/dev/null', 'w'), { flushOnExit: false });

  // The alternative design: the logger only emits, a processor formats the line from the record.
  const viaProcessorProvider = new LoggerProvider({
    processors: [
      new LogLineProcessor({ skipScopes: [], writer: { write: (line) => floorWriter.write(line) } }),
      new BatchLogRecordProcessor({ exporter: countingExporter, maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 50 }),
    ],
  });
  const viaProcessor = viaProcessorProvider.getLogger('bench');

  let i = 0;
  const fields = () => ({ a: i, b: 'some string value', c: true });

  type Scenario = { name: string; setup?: () => void; call: () => void };
  const scenarios: Scenario[] = [
    {
      name: 'ours: line + LogRecord (batch processor)',
      setup: () => configureLogging({ emitRecords: true }),
      call: () => ours.info('msg', fields()),
    },
    {
      name: 'ours: line only (no LogRecord)',
      setup: () => configureLogging({ emitRecords: false }),
      call: () => ours.info('msg', fields()),
    },
    {
      name: 'alt: emit only, line formatted by a LogRecordProcessor',
      call: () =>
        viaProcessor.emit({
          timestamp: Date.now(),
          severityNumber: SeverityNumber.INFO,
          severityText: 'INFO',
          body: 'msg',
          attributes: { component: 'SessionExecutor', ...fields() },
        }),
    },
    { name: 'pino: same fields, ISO time', call: () => pinoChild.info(fields(), 'msg') },
    { name: 'pino: same fields, epoch-ms time (its default)', call: () => pinoEpoch.info(fields(), 'msg') },
    {
      name: 'floor: JSON.stringify + async write',
      call: () =>
        floorWriter.write(
          `${JSON.stringify({ timestamp: new Date().toISOString(), level: 'info', message: 'msg', component: 'SessionExecutor', metadata: fields() })}\n`,
        ),
    },
  ];

  // Wall time including the yields: work a writer defers to the event loop
  // (our drain, sonic-boom's write callbacks) is on the main thread too and
  // counts; the yield itself costs every scenario the same.
  const run = async (call: () => void, n: number): Promise<number> => {
    const t0 = process.hrtime.bigint();
    for (let done = 0; done < n; done += CHUNK) {
      for (let k = 0; k < CHUNK; k++) {
        i++;
        call();
      }
      await new Promise((r) => setImmediate(r));
    }
    return Number(process.hrtime.bigint() - t0) / n;
  };

  // Warm-up.
  for (const s of scenarios) {
    s.setup?.();
    await run(s.call, N);
  }
  const samples = new Map<string, number[]>(scenarios.map((s) => [s.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < scenarios.length; k++) {
      const s = scenarios[(r + k) % scenarios.length]!;
      s.setup?.();
      samples.get(s.name)!.push(await run(s.call, N));
    }
  }

  // Below the threshold: debug at info. Tight loop, many calls, medians of rounds.
  configureLogging({ emitRecords: true });
  const M = 5_000_000;
  const disabled: Record<string, number[]> = { 'ours: debug below level': [], 'pino: debug below level': [], 'empty loop': [] };
  const timeLoop = (f: () => void): number => {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < M; k++) f();
    return Number(process.hrtime.bigint() - t0) / M;
  };
  const obj = { a: 1, b: 'x', c: true };
  for (let r = 0; r < ROUNDS; r++) {
    disabled['ours: debug below level']!.push(timeLoop(() => ours.debug('msg', obj)));
    disabled['pino: debug below level']!.push(timeLoop(() => pinoChild.debug(obj, 'msg')));
    disabled['empty loop']!.push(timeLoop(() => {}));
  }

  await flushLogs();
  await provider.forceFlush();
  await viaProcessorProvider.forceFlush();
  await floorWriter.flush();
  pinoLogger.flush();

  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const pinoMedian = median(samples.get('pino: same fields, ISO time')!);
  console.log(`logging bench: ${ROUNDS} interleaved rounds x ${N} calls, node ${process.version}`);
  console.log('scenario'.padEnd(58), 'median ns/call'.padStart(15), 'vs pino'.padStart(9));
  for (const [name, xs] of samples) {
    const m = median(xs);
    console.log(name.padEnd(58), m.toFixed(0).padStart(15), `${(m / pinoMedian).toFixed(2)}x`.padStart(9));
  }
  console.log('');
  for (const [name, xs] of Object.entries(disabled)) console.log(name.padEnd(58), median(xs).toFixed(1).padStart(15), 'ns');
  const st = getLoggingStats();
  console.log('');
  console.log(`stats: lines=${st.lines} dropped=${st.dropped} records=${st.recordsEmitted} exported=${exported} floorDropped=${floorWriter.stats.dropped}`);
  await provider.shutdown();
  await viaProcessorProvider.shutdown();
  floorWriter.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/** The asynchronous bounded writer against a real file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineWriter } from '../../src/logging/LineWriter.ts';

function tmpFile(): { file: string; fd: number } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wundr-log-')), 'out.log');
  return { file, fd: fs.openSync(file, 'w') };
}

test('write never does the I/O in the call; flush resolves once everything is on disk, in order', async () => {
  const { file, fd } = tmpFile();
  const w = new LineWriter(fd, { flushOnExit: false });
  for (let i = 0; i < 5000; i++) assert.equal(w.write(`line ${i} ${'é'.repeat(i % 7)}\n`), true);
  assert.ok(w.stats.bufferedChars > 0 || fs.readFileSync(file, 'utf8').length < 5000 * 8, 'still buffered after the synchronous burst');
  assert.equal(await w.flush(), true);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 5000);
  assert.equal(lines[4999], `line 4999 ${'é'.repeat(4999 % 7)}`);
  assert.deepEqual(w.stats, { lines: 5000, dropped: 0, bufferedChars: 0, writeErrors: 0 });
  w.close();
  fs.closeSync(fd);
});

test('past the bound, new lines are dropped and counted; the buffered ones still arrive', async () => {
  const { file, fd } = tmpFile();
  const w = new LineWriter(fd, { maxBufferedChars: 1000, flushOnExit: false });
  let accepted = 0;
  for (let i = 0; i < 100; i++) if (w.write(`${String(i).padStart(3, '0')}${'x'.repeat(96)}\n`)) accepted++;
  assert.ok(accepted < 100 && accepted >= 10, String(accepted));
  assert.equal(w.stats.dropped, 100 - accepted);
  await w.flush();
  assert.equal(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length, accepted);
  w.close();
  fs.closeSync(fd);
});

test('flushSync writes what is left at once; a bad descriptor is counted, never thrown', async () => {
  const { file, fd } = tmpFile();
  const w = new LineWriter(fd, { flushOnExit: false });
  w.write('a\n');
  await w.flush();
  w.write('b\n');
  w.write('c\n');
  w.flushSync();
  assert.equal(fs.readFileSync(file, 'utf8'), 'a\nb\nc\n');
  w.close();
  fs.closeSync(fd);

  const bad = new LineWriter(fd, { flushOnExit: false }); // closed above: EBADF
  assert.doesNotThrow(() => bad.write('lost\n'));
  await bad.flush(2000);
  assert.equal(bad.stats.writeErrors, 1);
  assert.equal(bad.stats.dropped, 1);
  assert.equal(bad.write('after\n'), false, 'a broken destination drops at once');
  assert.equal(bad.stats.dropped, 2);
  bad.close();
});

test('the exit hook is registered once per writer and removed by close()', () => {
  const before = process.listenerCount('exit');
  const w = new LineWriter(fs.openSync(os.devNull, 'w'));
  assert.equal(process.listenerCount('exit'), before + 1);
  w.close();
  assert.equal(process.listenerCount('exit'), before);
});

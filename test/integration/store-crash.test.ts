import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { z } from 'zod';
import { silentLogger } from '../../src/core/logger.js';
import { Journal } from '../../src/store/journal.js';
import { makeTempDir } from '../support/agent-process.js';

const tmp = makeTempDir('store-crash-');
after(() => tmp.cleanup());
const WRITER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/journal-writer.ts');

/** Runs the writer until it has acknowledged `atLeast` records past `from`, then SIGKILLs it mid-write. */
async function writeAndKill(file: string, atLeast: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), WRITER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acked = -1;
  let buffer = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) acked = Math.max(acked, Number(l));
      if (acked >= atLeast) resolve();
    });
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  return acked;
}

test('a journal writer killed mid-append loses no acknowledged record, three times over', async () => {
  const file = path.join(tmp.dir, 'journal.jsonl');
  const schema = z.object({ n: z.number(), pad: z.string() });
  for (const target of [200, 400, 600]) {
    const acked = await writeAndKill(file, target);
    const records = new Journal(file, schema, silentLogger).readAll();
    const ns = records.map((r) => r.n);
    assert.ok(ns.length >= acked + 1, `only ${ns.length} records after ${acked + 1} were acknowledged`);
    assert.deepEqual(ns.slice(0, acked + 1), Array.from({ length: acked + 1 }, (_, i) => i), 'records in order, none missing');
  }
});

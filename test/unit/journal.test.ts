import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { z } from 'zod';
import { silentLogger } from '../../src/core/logger.js';
import { Journal } from '../../src/store/journal.js';
import { makeTempDir } from '../support/agent-process.js';

const tmp = makeTempDir('journal-');
after(() => tmp.cleanup());
const schema = z.object({ n: z.number() });

test('a whole last record without its newline is kept, and the next append starts a new line', async () => {
  const file = path.join(tmp.dir, 'unterminated.jsonl');
  writeFileSync(file, '{"n":0}\n{"n":1}');
  const j = new Journal(file, schema, silentLogger);
  assert.deepEqual(j.readAll(), [{ n: 0 }, { n: 1 }]);
  await j.append({ n: 2 });
  assert.equal(readFileSync(file, 'utf8'), '{"n":0}\n{"n":1}\n{"n":2}\n');
  assert.equal(j.lineCount, 3);
});

test('a file that is one torn line, with no newline at all, is replaced by the next append', async () => {
  const file = path.join(tmp.dir, 'torn.jsonl');
  writeFileSync(file, '{"n":0,"pa');
  const j = new Journal(file, schema, silentLogger);
  await j.append({ n: 1 });
  assert.equal(readFileSync(file, 'utf8'), '{"n":1}\n');
});

test('a journal that cannot be written rejects loudly, naming the file, and keeps what it had', async () => {
  const file = path.join(tmp.dir, 'missing-dir', 'j.jsonl');
  const j = new Journal(file, schema, silentLogger);
  await assert.rejects(j.append({ n: 0 }), (err: Error) => err.message.includes(file) && /not stored/.test(err.message));
  assert.equal(j.lineCount, 0);
  assert.equal(await j.rewrite([{ n: 0 }]), false);
});

/** A child process for the crash test: appends records to a journal and prints each one once it is durable. */
import { z } from 'zod';
import { silentLogger } from '../../src/core/logger.js';
import { Journal } from '../../src/store/journal.js';

const file = process.argv[2];
if (!file) throw new Error('usage: journal-writer FILE');
const journal = new Journal(file, z.object({ n: z.number(), pad: z.string() }), silentLogger);
const start = journal.readAll().length;
for (let n = start; ; n++) {
  await journal.append({ n, pad: 'x'.repeat(n % 5000) });
  process.stdout.write(`${n}\n`);
}

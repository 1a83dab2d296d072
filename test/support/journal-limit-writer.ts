/**
 * Appends 300-byte records to the journal named in argv until an append fails, printing `ok N` for
 * each acknowledged record and `fail MESSAGE` for the failure. Run under a file-size limit.
 */
import { z } from 'zod';
import { silentLogger } from '../../src/core/logger.js';
import { Journal } from '../../src/store/journal.js';

const journal = new Journal(process.argv[2]!, z.object({ n: z.number(), pad: z.string() }), silentLogger);
journal.readAll();
for (let n = 0; n < 10_000; n++) {
  try {
    await journal.append({ n, pad: 'p'.repeat(300 - 16 - String(n).length) });
  } catch (err) {
    process.stdout.write(`fail ${(err as Error).message}\n`);
    break;
  }
  process.stdout.write(`ok ${n}\n`);
}

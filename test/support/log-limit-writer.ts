/**
 * Appends 300-byte lines with the command log's writer to the file named in argv and prints what
 * happened: a burst of 20 lines at once (one group-commit batch, larger than the limit), then one line
 * at a time (`ok N`) until an append fails (`fail MESSAGE`), then one 50-byte line. After each failure
 * it prints the file's size. Run under a file-size limit.
 */
import { statSync } from 'node:fs';
import { LogWriter } from '../../src/store/log-writer.js';

const file = process.argv[2]!;
const log = new LogWriter(file, 0);
const line = (n: number, bytes = 300): string => JSON.stringify({ n, pad: 'p'.repeat(bytes - 16 - String(n).length) });
const say = (text: string): boolean => process.stdout.write(`${text}\n`);

const burst = await Promise.allSettled(Array.from({ length: 20 }, (_, k) => log.append(line(1000 + k))));
say(`burst ${burst.filter((r) => r.status === 'fulfilled').length} stored, ${burst.filter((r) => r.status === 'rejected').length} refused`);
say(`size ${statSync(file).size}`);
for (let n = 0; n < 10_000; n++) {
  try {
    await log.append(line(n));
  } catch (err) {
    say(`fail ${(err as Error).message}`);
    break;
  }
  say(`ok ${n}`);
}
say(`size ${statSync(file).size}`);
await log.append(line(99, 50));
say('ok 99');
await log.close();

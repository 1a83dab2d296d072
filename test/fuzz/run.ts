/**
 * `npm run fuzz`: 100,000 seeded cases against the frame parser, the config loader and the Claude CLI
 * line parser. The cases run in a worker so that a case that hangs is caught and named, not waited on.
 * Options: --seed N (default 20261124), --cases N (default 100000), --from N (first case index).
 */
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { MAX_CASE_MS, runFuzz, type FuzzFailure } from '../support/fuzz-run.js';

interface Job {
  seed: number;
  cases: number;
  from: number;
}
type Progress = { kind: 'at'; index: number } | { kind: 'done'; failures: FuzzFailure[]; slowest: { index: number; target: string; ms: number } };

/** With no progress for this long, the current case is reported as hanging. */
const HANG_MS = Math.max(10_000, MAX_CASE_MS * 5);

if (isMainThread) {
  const { values } = parseArgs({ options: { seed: { type: 'string' }, cases: { type: 'string' }, from: { type: 'string' } } });
  const job: Job = { seed: Number(values.seed ?? 20261124), cases: Number(values.cases ?? 100_000), from: Number(values.from ?? 0) };
  console.log(`fuzz: seed ${job.seed}, cases ${job.from}..${job.from + job.cases - 1}`);
  const started = Date.now();
  let at = job.from;
  let lastProgress = Date.now();
  // A worker's entry point is not run through tsx's loader on Node 20; this one registers it first.
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: job });
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress < HANG_MS) return;
    console.error(`HANG: case ${at} made no progress for ${HANG_MS} ms; replay: npm run fuzz -- --seed ${job.seed} --from ${at} --cases 1`);
    void worker.terminate().then(() => process.exit(1));
  }, 1000);
  worker.on('message', (m: Progress) => {
    lastProgress = Date.now();
    if (m.kind === 'at') {
      at = m.index;
      if ((m.index - job.from) % 10_000 === 0 && m.index > job.from) console.log(`  ${m.index - job.from} cases…`);
      return;
    }
    clearInterval(watchdog);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`fuzz: ${job.cases} cases in ${secs} s; slowest case ${m.slowest.index} (${m.slowest.target}) took ${m.slowest.ms.toFixed(1)} ms`);
    for (const f of m.failures.slice(0, 20)) {
      console.error(`FAIL case ${f.index} (${f.target}): ${f.failure}\n  input: ${JSON.stringify(f.input)}\n  replay: npm run fuzz -- --seed ${job.seed} --from ${f.index} --cases 1`);
    }
    console.log(m.failures.length === 0 ? 'fuzz: no failures' : `fuzz: ${m.failures.length} failures`);
    process.exitCode = m.failures.length === 0 ? 0 : 1;
  });
  worker.on('error', (err) => {
    clearInterval(watchdog);
    console.error(`fuzz: the worker failed at case ${at} (seed ${job.seed}): ${String(err)}`);
    process.exitCode = 1;
  });
} else {
  const job = workerData as Job;
  const post = (m: Progress): void => parentPort!.postMessage(m);
  const report = runFuzz({ seed: job.seed, cases: job.cases, start: job.from, onCase: (index) => { if (index % 100 === 0) post({ kind: 'at', index }); } });
  post({ kind: 'done', failures: report.failures, slowest: report.slowest });
}

/**
 * Row 7: `npm run agent` from a built tree until the dev server sees the agent authenticated, against the
 * floor client started with bare node; the built agent started with bare node (no npm, no staleness check)
 * splits the difference into what npm and build/run-built.mjs add and what the agent's own start-up costs.
 */
import { randomUUID } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentFiles, BUILT_MAIN, ensureBuiltPatiently, floorClientScript, Proc, ROOT, startBuiltAgent, whenConnected, API_KEY, type BenchContext } from './processes.js';
import { timeRun } from './proc.js';
import { count, median, met, ms, ratio, type Row } from './stats.js';

const buildStamp = (): number => statSync(path.join(ROOT, 'dist/.build-stamp'), { throwIfNoEntry: false })?.mtimeMs ?? 0;

/** Starts `file args`, resolves with the ms until `agentId` is connected at the server; stops it and waits until it is gone. */
async function timeToConnected(ctx: BenchContext, agentId: string, file: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const proc = new Proc(file, args, { group: true });
  try {
    const seen = await Promise.race([
      whenConnected(ctx.server, agentId, true, 30_000),
      proc.exited.then((code) => Promise.reject(new Error(`${path.basename(file)} exited (${code}) before connecting: ${proc.output().slice(-300)}`))),
    ]);
    return seen - t0;
  } finally {
    await proc.stop();
    await whenConnected(ctx.server, agentId, false, 30_000);
  }
}

export async function startupRows(ctx: BenchContext): Promise<Row[]> {
  const build = await ensureBuiltPatiently();
  const dir = path.join(ctx.dir, 'agent-startup');
  // One start to create the agent's identity and data dir; the timed starts find them, as a restart does.
  const first = await startBuiltAgent(ctx.server, dir);
  const agentId = first.agentId;
  await first.stop();
  await whenConnected(ctx.server, agentId, false);
  const { config, dataDir } = agentFiles(dir, ctx.server);
  const configPath = path.join(dir, 'agent.json');
  writeFileSync(configPath, JSON.stringify(config));
  const agentArgs = ['--config', configPath, '--data-dir', dataDir];
  const floorId = randomUUID();
  const floorArgs = [floorClientScript(ctx.dir), ctx.server.agentUrl, API_KEY, floorId];

  const trials = count(10, 3);
  const npm: number[] = [];
  const bare: number[] = [];
  const floor: number[] = [];
  let compiled = 0;
  let compiledInside = 0;
  for (let i = -1; i < trials; i++) {
    // Others may edit sources meanwhile: a build they make stale is done here, untimed, not inside a timed start.
    if ((await ensureBuiltPatiently()).compiled) compiled++;
    const stampBefore = buildStamp();
    const n = await timeToConnected(ctx, agentId, 'npm', ['run', '--silent', 'agent', '--', ...agentArgs]);
    // An edit landing between the check above and this start made it compile: not a start from a built tree.
    if (buildStamp() !== stampBefore && compiledInside < 5) {
      compiledInside++;
      i--;
      continue;
    }
    const b = await timeToConnected(ctx, agentId, process.execPath, [BUILT_MAIN, ...agentArgs]);
    const f = await timeToConnected(ctx, floorId, process.execPath, floorArgs);
    if (i < 0) continue; // warm-up
    npm.push(n);
    bare.push(b);
    floor.push(f);
  }
  const version: number[] = [];
  const nodeOnly: number[] = [];
  for (let i = 0; i < trials; i++) {
    version.push(await timeRun('npm', ['run', '--silent', 'agent', '--', '--version'], { cwd: ROOT }));
    nodeOnly.push(await timeRun(process.execPath, ['-e', '0']));
  }
  const [n50, b50, f50] = [median(npm), median(bare), median(floor)];
  ctx.notes.add('7', `${trials} starts of each, alternating, medians; the agent's data dir already exists (a restart). ` +
    `Built agent started with bare node: ${ms(b50)}, so npm + build/run-built.mjs add ${ms(n50 - b50)} ` +
    `(\`npm run agent -- --version\` alone takes ${ms(median(version))}; \`node -e 0\` ${ms(median(nodeOnly))}). ` +
    `Slowest npm start: ${ms(Math.max(...npm))}. The built tree was ${build.compiled ? `compiled first (${ms(build.ms)}), not timed` : 'up to date'}` +
    `${compiled ? `; sources changed during the row and it was rebuilt ${compiled} time(s) between starts, untimed` : ''}` +
    `${compiledInside ? `; ${compiledInside} npm start(s) compiled first and were measured again` : ''}.`);
  return [
    { id: '7a', what: '`npm run agent` to authenticated (built tree)', agent: ms(n50), floor: ms(f50), ratio: ratio(n50, f50), goal: '<= 1 s', met: met(n50 <= 1000) },
    { id: '7b', what: '`node dist/.../main.js` to authenticated', agent: ms(b50), floor: ms(f50), ratio: ratio(b50, f50), goal: '', met: '' },
  ];
}

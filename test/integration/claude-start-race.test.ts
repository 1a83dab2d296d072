/**
 * The moment between an AI task's checks and the CLI's start, attacked with the real CLI: the working
 * directory swapped for a symlink outside in a tight loop, and stops that arrive 0-5 ms before the start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { probeConfinement } from '../../src/confine/cli-sandbox.js';
import { identityOf } from '../../src/confine/directory-pin.js';
import type { StopRequest } from '../../src/exec/types.js';
import { makeTempDir } from '../support/agent-process.js';
import { allRequestText, runWith, workspace } from '../support/claude-run.js';
import { scripted, type Script } from '../support/fake-anthropic.js';

const tmp = makeTempDir('claude-race-');
after(() => tmp.cleanup());
const confined = (await probeConfinement()).kind === 'bubblewrap';

/** Swaps `dir` for a symlink to `outside` and back, as fast as it can, until stopped (it then leaves `dir` as it was). */
function swapLoop(dir: string, outside: string): { stop(): Promise<void> } {
  const stopFile = `${dir}.stop`;
  const code = `
    const fs = require('fs'); const [dir, outside, stopFile] = process.argv.slice(1);
    const end = Date.now() + 60000;
    while (Date.now() < end && !fs.existsSync(stopFile)) {
      try { fs.renameSync(dir, dir + '.real'); fs.symlinkSync(outside, dir);
            const t = Date.now() + Math.random(); while (Date.now() < t) {}
            fs.unlinkSync(dir); fs.renameSync(dir + '.real', dir); } catch {}
    }`;
  const child = spawn(process.execPath, ['-e', code, dir, outside, stopFile], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  let stopping: Promise<void> | null = null;
  return {
    stop: () => (stopping ??= (async () => {
      writeFileSync(stopFile, '');
      await exited;
    })()),
  };
}

/** The first turn waits a little, so a swap loop stopped at the start is surely over before the command runs. */
const readMarker: Script = scripted({ toolUse: { name: 'Bash', input: { command: 'cat marker.txt', description: 'read' } }, delayMs: 300 }, { text: 'done' });

/**
 * Starts tasks while the working directory is being swapped. Unconfined, the loop stops once the CLI has
 * started: the CLI names files by path, so only its start can be pinned (the README says so). Confined,
 * the loop runs throughout: the sandbox mounted the checked directory, and a swap outside cannot reach it.
 */
async function raceAttempts(sandbox: 'off' | 'required', attempts: number): Promise<{ started: number; refused: number }> {
  let started = 0;
  let refused = 0;
  let failed = 0;
  for (let i = 0; i < attempts; i++) {
    const ws = workspace(tmp.dir);
    writeFileSync(path.join(ws.work, 'marker.txt'), 'inside\n');
    const outside = path.join(ws.base, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'marker.txt'), 'ESCAPED-MARKER\n');
    const workingDirectoryId = identityOf(ws.work); // what the checks saw
    const loop = swapLoop(ws.work, outside);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 60)); // let the loop get going
    try {
      const onSpawn = sandbox === 'off' ? () => void loop.stop() : () => undefined;
      const r = await runWith(tmp.dir, readMarker, { ws, workingDirectoryId, onSpawn, timeoutMs: 15_000, config: { sandbox, allowedTools: ['Bash(cat:*)'] } });
      assert.ok(!allRequestText(r.model).includes('ESCAPED-MARKER'), `attempt ${i}: the CLI ran outside the checked directory`);
      assert.ok(!r.outcome.stdout.includes('ESCAPED-MARKER'));
      if (r.outcome.status === 'refused') {
        refused++;
        assert.match(r.outcome.reason ?? '', /changed between the check and the start|not start in the checked working directory|could not be verified|stopped before starting the task|could not be started/);
        // Refused by the agent's own checks: the CLI never got the task, and no rate-limit slot is used.
        if (!/stopped before starting the task/.test(r.outcome.reason ?? '')) assert.equal(r.spawned, 0, 'a refused start never counts as started');
      } else if (r.outcome.status === 'failed' || r.outcome.status === 'timed_out') {
        // The CLI itself gave up or got stuck (its directory was renamed under it): it failed safe, and that is reported.
        failed++;
      } else {
        started++;
        assert.equal(r.outcome.exit_code, 0, r.outcome.stderr);
        assert.match(r.model.requests[1]!.lastUserText, /inside/);
      }
    } finally {
      await loop.stop();
    }
  }
  return { started, refused: refused + failed };
}

describe('no gap between the check and the start', () => {
  test('30 starts while the working directory is swapped for a symlink outside: zero escapes (unconfined: the pin alone)', async () => {
    const { started, refused } = await raceAttempts('off', 30);
    console.log(`unconfined: ${started} started in the checked directory, ${refused} refused or failed safe, 0 escaped`);
    assert.equal(started + refused, 30);
  });

  test('10 more with the confinement on: zero escapes', { skip: !confined && 'bubblewrap cannot confine here' }, async () => {
    const { started, refused } = await raceAttempts('required', 10);
    console.log(`confined: ${started} started in the checked directory, ${refused} refused or failed safe, 0 escaped`);
    assert.equal(started + refused, 10);
  });

  test('a stop 0-5 ms before the start is never lost: the task is cancelled, never run to its end', async () => {
    for (let delay = 0; delay <= 5; delay++) {
      const controller = new AbortController();
      setTimeout(() => controller.abort({ status: 'cancelled', reason: 'stopped by the local user' } satisfies StopRequest), delay);
      const r = await runWith(tmp.dir, scripted({ text: 'finished anyway', delayMs: 20_000 }), { signal: controller.signal, timeoutMs: 15_000 });
      assert.equal(r.outcome.status, 'cancelled', `delay ${delay} ms: ${JSON.stringify(r.outcome)}`);
      assert.equal(r.outcome.reason, 'stopped by the local user');
      assert.ok(r.elapsed < 8000, `delay ${delay} ms: took ${r.elapsed} ms`);
    }
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { makeTempDir } from '../support/agent-process.js';
import { CLAUDE_CLI } from '../support/claude-cli.js';

const tmp = makeTempDir('demo-');
after(() => tmp.cleanup());
const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/dev-server/demo.ts');

test('the demo runs end to end: dev server, agent, echo hi and an AI task on the offline model', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, CLAUDE_EXECUTABLE: CLAUDE_CLI };
  delete env.ANTHROPIC_API_KEY;
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), DEMO, '--once'], { cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, out);
  assert.match(out, /=== echo hi: succeeded \(exit code 0/);
  assert.match(out, /\[tool_use\] Read logs\/sync\.log/);
  assert.match(out, /=== AI task: succeeded[\s\S]*Found 2 error line\(s\)/);
  assert.ok(existsSync(path.join(tmp.dir, '.demo', 'dev-server.json')), 'the dispatch CLI can find the server');
});

/** `npm run dispatch -- ...`: a technician's command line for the dev server. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CommandProgressPayload, CommandResultPayload } from '../contracts/wire.js';
import { signCommandPayload } from '../policy/command-signature.js';
import { defaultDevStatePath, readDevState } from './dev-state.js';
import { DispatchClient } from './dispatch-client.js';

const USAGE = `Usage: npm run dispatch -- <what> [text] [options]

  shell "echo hi"            run a shell command (also: powershell "...", python "...")
  ai "Check the sync log"    run an AI task (Claude Code)   --cwd DIR  --context FILE (repeatable)
  cancel <command-id>        cancel a running command
  agents                     list connected agents
  history [--limit N]        the agent's recent task records

Options:
  --agent ID          which agent (default: the first connected one)
  --timeout S         timeout_seconds
  --elevated          ask to run elevated
  --requested-by NAME shown to the local user
  --id ID             use this command id (to try de-duplication)
  --sign-key FILE     sign the command with this Ed25519 private key (PEM)
  --no-wait           print the command id and exit
  --server URL --token T   the dev server's HTTP API (default: from .demo/dev-server.json)
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        agent: { type: 'string', default: 'first' },
        timeout: { type: 'string' },
        elevated: { type: 'boolean' },
        'requested-by': { type: 'string' },
        id: { type: 'string' },
        cwd: { type: 'string' },
        context: { type: 'string', multiple: true },
        limit: { type: 'string' },
        'sign-key': { type: 'string' },
        'no-wait': { type: 'boolean' },
        server: { type: 'string' },
        token: { type: 'string' },
        state: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [what, ...rest] = positionals;
  if (values.help || !what) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const client = connect(values.server, values.token, values.state);

  if (what === 'agents') {
    const agents = await client.agents();
    if (agents.length === 0) console.log('No agent has connected yet.');
    for (const a of agents) {
      console.log(`${a.agent_id}  ${a.hostname}  ${a.os}  ${a.connected ? 'connected' : 'offline'}${a.status?.paused ? '  PAUSED by the local user' : ''}`);
    }
    return 0;
  }
  if (what === 'history') {
    const records = await client.history(values.agent, values.limit ? Number(values.limit) : 20);
    for (const r of records) {
      console.log(`${r.received_at}  ${r.status.padEnd(11)} ${String(r.exit_code ?? '').padStart(4)}  ${r.kind.padEnd(11)} ${r.summary.slice(0, 60)}${r.reason ? `  (${r.reason})` : ''}`);
      for (const d of r.decisions) console.log(`    local decision: ${d.decision} (by ${d.by}, ${d.at})`);
    }
    return 0;
  }
  if (what === 'cancel') {
    if (!rest[0]) return usage('cancel needs a command id.');
    await client.cancel(rest[0]);
    console.log(`cancel sent for ${rest[0]}`);
    return 0;
  }

  const text = rest.join(' ');
  if (!text) return usage(`${what} needs the command text.`);
  let payload: Record<string, unknown>;
  if (what === 'shell' || what === 'powershell' || what === 'python') {
    payload = { command_type: what, command: text };
  } else if (what === 'ai' || what === 'claude') {
    payload = {
      command_type: { claude_task: { task: text, ...(values.cwd ? { working_directory: values.cwd } : {}), ...(values.context ? { context_files: values.context } : {}) } },
      command: '',
    };
  } else {
    return usage(`Unknown command "${what}".`);
  }
  if (values.timeout) payload.timeout_seconds = Number(values.timeout);
  if (values.elevated) payload.elevated = true;
  payload.requested_by = values['requested-by'] ?? process.env.USER ?? 'technician';
  if (values.id) payload.id = values.id;
  if (values['sign-key']) {
    // A signed command is bound to one agent, so it cannot be replayed to another machine.
    payload.agent_id = await resolveAgentId(client, values.agent);
    payload.id ??= crypto.randomUUID();
    payload.issued_at = new Date().toISOString();
    payload.signature = signCommandPayload(payload, readFileSync(values['sign-key'], 'utf8'));
  }

  const { id, agent_id } = await client.dispatch(values.agent, payload);
  console.log(`dispatched ${id} to ${agent_id}`);
  if (values['no-wait']) return 0;
  const result = await client.follow(id, printProgress);
  printResult(result);
  return result.status === 'succeeded' ? 0 : 1;
}

async function resolveAgentId(client: DispatchClient, wanted: string): Promise<string> {
  const agents = await client.agents();
  const found = wanted === 'first' ? agents.find((a) => a.connected) : agents.find((a) => a.agent_id === wanted);
  if (!found) throw new Error(wanted === 'first' ? 'No agent is connected.' : `No agent ${wanted} is known to the server.`);
  return found.agent_id;
}

function connect(server: string | undefined, token: string | undefined, state: string | undefined): DispatchClient {
  if (server && token) return new DispatchClient(server.replace(/\/$/, ''), token);
  const s = readDevState(state ?? defaultDevStatePath());
  return new DispatchClient(s.httpUrl, token ?? s.token);
}

function printProgress(p: CommandProgressPayload): void {
  if (p.kind === 'stdout') process.stdout.write(p.data);
  else if (p.kind === 'stderr') process.stderr.write(p.data);
  else console.log(`  [${p.kind}] ${p.data.trim()}`);
}

function printResult(r: CommandResultPayload): void {
  console.log(`\n--- result: ${r.status}, exit code ${r.exit_code}, ${r.duration_ms} ms${r.reason ? `\n--- reason: ${r.reason}` : ''}`);
  if (r.stdout) console.log(`--- stdout:\n${r.stdout.replace(/\n$/, '')}`);
  if (r.stderr) console.log(`--- stderr:\n${r.stderr.replace(/\n$/, '')}`);
  if (r.claude) {
    console.log(`--- AI task: model ${r.claude.model ?? '?'}, ${r.claude.num_turns ?? '?'} turns, $${r.claude.total_cost_usd ?? '?'}` +
      (r.claude.permission_denials.length ? `, denied: ${r.claude.permission_denials.join('; ')}` : ''));
  }
}

function usage(message: string): number {
  console.error(`${message}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);

/**
 * The floor the agent is measured against: the least a client can do to serve the dev server. It
 * authenticates like the agent (Bearer header, then an `auth` frame), runs each `command` as
 * `/bin/sh -c <command>` with no containment, keeps its whole stdout and stderr, and answers with a
 * `command_result`. Nothing is written to disk; results wait in memory until acknowledged and are sent
 * again after a reconnect, which is tried every RETRY_MS.
 * Usage (plain node, see processes.ts): floor-client.mjs <serverUrl> <apiKey> <agentId>
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import WebSocket from 'ws';

const RETRY_MS = 25;
const [url, apiKey, agentId] = process.argv.slice(2) as [string, string, string];
const unacked = new Map<string, string>();
let live: WebSocket | null = null;

function connect(): void {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${apiKey}` }, perMessageDeflate: false, maxPayload: 128 * 1024 * 1024 });
  ws.on('open', () => {
    const payload = {
      api_key: apiKey,
      agent_id: agentId,
      hostname: os.hostname(),
      os: process.platform,
      os_version: os.release(),
      agent_version: 'floor-client',
      capabilities: ['shell'],
    };
    ws.send(JSON.stringify({ type: 'auth', payload }));
  });
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; payload: Record<string, unknown> };
    if (frame.type === 'auth_ok') {
      live = ws;
      process.stdout.write('authenticated\n');
      for (const text of unacked.values()) ws.send(text);
    } else if (frame.type === 'command') {
      run(String(frame.payload.id), String(frame.payload.command));
    } else if (frame.type === 'result_ack') {
      unacked.delete(String(frame.payload.command_id));
    }
  });
  ws.on('close', () => {
    if (live === ws) live = null;
    setTimeout(connect, RETRY_MS);
  });
  ws.on('error', () => undefined);
}

function run(id: string, command: string): void {
  const started = Date.now();
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.on('close', (code) => {
    const payload = {
      command_id: id,
      exit_code: code ?? 1,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      duration_ms: Date.now() - started,
      status: code === 0 ? 'succeeded' : 'failed',
      reason: code === 0 ? null : `exit ${code}`,
    };
    const text = JSON.stringify({ type: 'command_result', payload });
    unacked.set(id, text);
    live?.send(text);
  });
}

connect();
process.on('SIGTERM', () => process.exit(0));

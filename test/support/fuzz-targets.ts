/**
 * The fuzzed parsers, each with an input generator and the property every input must keep: no
 * throw, and either a value that satisfies its own schema (and can be serialised again) or a clean
 * error. Shared by the fuzz test in `npm test` and by `npm run fuzz`.
 */
import { describeDenial, describeEvent, LineSplitter, parseClaudeLine } from '../../src/claude/claude-stream.js';
import { claudeConfigSchema, ConfigError, configSchema, parseConfig } from '../../src/contracts/config.js';
import { commandIdSchema, inboundPayloadSchemas, isInboundType, parseInboundFrame, progressKindSchema } from '../../src/contracts/wire.js';
import { canonicalJson } from '../../src/policy/command-signature.js';
import {
  deepNest, invalidUtf8, mutateText, mutateTree, Num, obj, PROTO_NAMES, randomObject, randomString, randomValue,
  STRANGE_NUMBERS, toText, withProtoKeys, type Json, type Rng,
} from './fuzz-input.js';

export type Target = 'frame' | 'config' | 'claude' | 'splitter';
export const TARGETS: readonly Target[] = ['frame', 'config', 'claude', 'splitter'];

/** Builds hostile text from a valid template: the shared mutations every target goes through. */
function hostile(r: Rng, valid: Json, keys: readonly string[], slot: (v: Json) => Json): string {
  switch (r.int(11)) {
    case 0: return toText(withProtoKeys(r, valid, keys));
    case 10: return toText(slot(withProtoKeys(r, r.chance(0.5) ? randomObject(r, keys) : [randomObject(r, keys)], keys)));
    case 1: case 2: return toText(mutateTree(r, valid, keys));
    case 3: return toText(slot(r.chance(0.1) ? deepNest(10_000, 1, r.pick(['array', 'object'])) : deepNest(r.int(300), null, r.pick(['array', 'object']))));
    case 4: return mutateText(r, toText(valid));
    case 5: return toText(randomValue(r, keys));
    case 6: return toText(slot(new Num(r.pick(STRANGE_NUMBERS))));
    case 7: {
      const text = toText(valid);
      const at = r.int(text.length);
      return Buffer.concat([Buffer.from(text.slice(0, at)), invalidUtf8(r), Buffer.from(text.slice(at))]).toString('utf8');
    }
    case 8: return toText(slot(r.chance(0.2) ? 'z'.repeat(1024 * 1024 + r.int(2 * 1024 * 1024)) : randomString(r)));
    default: return toText(valid);
  }
}

// ---- wire frames (parseInboundFrame) ----

const WIRE_KEYS = ['type', 'payload', 'id', 'command_type', 'command', 'claude_task', 'task', 'working_directory', 'context_files',
  'timeout_seconds', 'elevated', 'requested_by', 'signature', 'issued_at', 'limit', 'command_id', 'agent_id', 'message'];

function validFrame(r: Rng, slot: Json): Json {
  const id = r.pick(['550e8400-e29b-41d4-a716-446655440000', 'job', ' job ', 'c-1']);
  const payloads: [string, Json][] = [
    ['command', obj({ id, command_type: r.pick(['shell', 'powershell', 'python']), command: 'echo fuzz', timeout_seconds: slot, elevated: false })],
    ['command', obj({ id, command_type: obj({ claude_task: obj({ task: 'Check the log', working_directory: 'logs', context_files: ['a.log', slot] }) }), command: slot })],
    ['cancel', obj({ command_id: id, extra: slot })],
    ['result_ack', obj({ command_id: id })],
    ['history_request', obj({ limit: slot })],
    ['auth_ok', obj({ agent_id: slot })],
    ['auth_error', obj({ message: slot })],
  ];
  const [type, payload] = r.pick(payloads);
  return obj({ type: r.chance(0.1) ? r.pick(PROTO_NAMES) : type, payload });
}

export function frameInput(r: Rng): string {
  if (r.chance(0.1)) return toText(obj({ type: r.pick(PROTO_NAMES), payload: r.chance(0.5) ? randomObject(r, WIRE_KEYS) : obj({}) }));
  return hostile(r, validFrame(r, 30), WIRE_KEYS, (v) => validFrame(r, v));
}

export function checkFrame(text: string): string | null {
  let parsed;
  try {
    parsed = parseInboundFrame(text);
  } catch (err) {
    return `parseInboundFrame threw ${String(err)}`;
  }
  if (!parsed.ok) {
    if (typeof parsed.error !== 'string' || parsed.error === '') return 'rejected without a reason';
    if (parsed.commandId !== null && !commandIdSchema.safeParse(parsed.commandId).success) return `named an invalid command id ${parsed.commandId}`;
    return null;
  }
  const { type, payload, raw } = parsed.message;
  if (!isInboundType(type)) return `accepted the unknown type ${type}`;
  if (!inboundPayloadSchemas[type].safeParse(payload).success) return `accepted a ${type} whose payload fails its own schema`;
  try {
    canonicalJson(raw);
    JSON.stringify(raw);
  } catch (err) {
    return `accepted a ${type} whose payload cannot be serialised again for the signature check: ${String(err)}`;
  }
  if (type === 'command' && payload.id !== (raw as { id?: unknown }).id) return 'the command id was changed';
  return null;
}

// ---- the policy file (parseConfig) ----

const CONFIG_KEYS = [...Object.keys(configSchema.shape), ...Object.keys(claudeConfigSchema.shape)];

function validConfig(r: Rng, slot: Json): Json {
  const claude = obj({ baseDirectory: '/srv/tasks', allowedTools: ['Read(./**)', slot], maxTurns: r.chance(0.5) ? slot : 10, env: obj({ A: 'b' }) });
  return obj({
    version: 1, serverUrl: r.pick(['wss://rmm.example/agent', 'ws://127.0.0.1:8710/agent']), apiKey: 'key',
    [r.pick(CONFIG_KEYS)]: slot, claude,
  });
}

export function configInput(r: Rng): string {
  return hostile(r, validConfig(r, true), CONFIG_KEYS, (v) => validConfig(r, v));
}

export function checkConfig(text: string): string | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null; // loadConfigFile reports text that is not JSON before parseConfig sees it
  }
  try {
    const { config, warnings } = parseConfig(raw, 'fuzz.json');
    if (!configSchema.safeParse(config).success) return 'accepted a config that fails its own schema';
    if (!warnings.every((w) => typeof w === 'string')) return 'a warning is not text';
    return null;
  } catch (err) {
    if (err instanceof ConfigError && err.message.length > 0) return null;
    return `parseConfig threw something other than a ConfigError: ${String(err)}`;
  }
}

// ---- Claude CLI output (parseClaudeLine, describeEvent) ----

const CLAUDE_KEYS = ['type', 'subtype', 'message', 'content', 'text', 'name', 'input', 'is_error', 'result', 'num_turns', 'total_cost_usd',
  'api_error_status', 'errors', 'permission_denials', 'tool_name', 'tool_input', 'model', 'attempt', 'max_retries', 'command', 'file_path', 'pattern', 'path'];

function validEvent(r: Rng, slot: Json): Json {
  return r.pick<Json>([
    obj({ type: 'system', subtype: r.pick(['init', 'api_retry']), model: 'm', attempt: slot, max_retries: 3 }),
    obj({ type: 'assistant', message: obj({ content: [obj({ type: 'text', text: slot }), obj({ type: 'tool_use', name: r.pick(['Bash', 'Read', 'Grep', 'Other']), input: obj({ command: slot, file_path: '/a/b/c', pattern: 'x' }) })] }) }),
    obj({ type: 'user', message: obj({ content: [obj({ type: 'tool_result', is_error: true, content: r.chance(0.5) ? slot : [obj({ type: 'text', text: slot })] })] }) }),
    obj({ type: 'result', subtype: 'success', is_error: false, result: 'done', num_turns: slot, total_cost_usd: 0.1, permission_denials: [obj({ tool_name: 'Bash', tool_input: obj({ command: slot }) })] }),
  ]);
}

export function claudeInput(r: Rng): string {
  const line = hostile(r, validEvent(r, 'ok'), CLAUDE_KEYS, (v) => validEvent(r, v));
  return r.chance(0.1) ? `${r.pick([' ', '\t', '\r', '\ufeff'])}${line}${r.pick(['', '\r', ' '])}` : line;
}

export function checkClaudeLine(line: string): string | null {
  try {
    const event = parseClaudeLine(line);
    if (event === null) return null;
    if (!['system', 'assistant', 'user', 'result'].includes(event.type)) return `accepted the event type ${String(event.type)}`;
    for (const item of describeEvent(event)) {
      if (!progressKindSchema.safeParse(item.kind).success || typeof item.data !== 'string') return 'described an event as a malformed progress item';
    }
    if (event.type === 'result' && !(event.permission_denials ?? []).map(describeDenial).every((d) => typeof d === 'string')) return 'a denial is not text';
    return null;
  } catch (err) {
    return `threw ${String(err)}`;
  }
}

// ---- the CLI's stdout split into lines (LineSplitter) ----

export function splitterInput(r: Rng): { bytes: Buffer; cuts: number[]; max: number } {
  const parts: Buffer[] = [];
  for (let i = r.int(12); i >= 0; i--) {
    parts.push(r.pick([() => Buffer.from(claudeInput(r).slice(0, 2000)), () => invalidUtf8(r), () => Buffer.from('\n'.repeat(1 + r.int(3))),
      () => Buffer.from('\r\n'), () => Buffer.from('é💥'.repeat(r.int(40)))])());
  }
  const bytes = Buffer.concat(parts);
  const cuts = Array.from({ length: r.int(8) }, () => r.int(bytes.length + 1)).sort((a, b) => a - b);
  return { bytes, cuts, max: r.chance(0.5) ? 1 + r.int(64) : 32 * 1024 * 1024 };
}

/** The lines must be exactly the input split at every newline, each cut to `max` bytes, however the bytes arrive. */
export function checkSplitter({ bytes, cuts, max }: { bytes: Buffer; cuts: number[]; max: number }): string | null {
  const got: string[] = [];
  try {
    const splitter = new LineSplitter(max);
    let from = 0;
    for (const at of [...cuts, bytes.length]) {
      splitter.push(bytes.subarray(from, at), (l) => got.push(l));
      from = at;
    }
    splitter.end((l) => got.push(l));
  } catch (err) {
    return `LineSplitter threw ${String(err)}`;
  }
  const want: string[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
    want.push(bytes.subarray(start, Math.min(nl, start + max)).toString('utf8'));
    start = nl + 1;
  }
  if (start < bytes.length) want.push(bytes.subarray(start, Math.min(bytes.length, start + max)).toString('utf8'));
  if (got.length !== want.length) return `split into ${got.length} lines, expected ${want.length}`;
  const i = got.findIndex((l, k) => l !== want[k]);
  return i === -1 ? null : `line ${i} differs from the input`;
}

/** Generates and checks one case; `input` is a short preview for the report. */
export function runTarget(target: Target, r: Rng): { failure: string | null; input: string } {
  switch (target) {
    case 'frame': { const t = frameInput(r); return { failure: checkFrame(t), input: t }; }
    case 'config': { const t = configInput(r); return { failure: checkConfig(t), input: t }; }
    case 'claude': { const t = claudeInput(r); return { failure: checkClaudeLine(t), input: t }; }
    case 'splitter': { const s = splitterInput(r); return { failure: checkSplitter(s), input: s.bytes.toString('latin1') }; }
  }
}

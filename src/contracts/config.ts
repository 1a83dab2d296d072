/**
 * The machine-wide policy file (SPEC §7): one zod schema, defaults from the SPEC, and a loader
 * whose errors name the bad field. Unknown keys are reported as warnings, not fatal, so a file
 * written for a newer agent still starts an older one.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';

/** Tool names whose bare (unscoped) allow rule would apply to the whole machine. */
export const BARE_RULES_REJECTED = ['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Bash', 'WebFetch', 'WebSearch', 'Task'] as const;

const toolRuleSchema = z
  .string()
  .trim()
  .min(1, 'an allow rule is empty')
  .refine((rule) => !(BARE_RULES_REJECTED as readonly string[]).includes(rule), {
    message:
      'a bare tool name applies to the whole machine; scope it, e.g. "Read(./**)", "Edit(./**)" or "Bash(git status:*)"',
  });

export const claudeConfigSchema = z.object({
  executable: z.string().min(1).default('claude'),
  baseDirectory: z.string().min(1).optional(),
  maxTasksPerHour: z.number().int().min(0).default(10),
  maxTasksPerHourPerRequester: z.number().int().min(0).optional(),
  maxConcurrent: z.number().int().min(1).default(2),
  maxTaskLength: z.number().int().min(1).max(100_000).default(10_000),
  allowedTools: z.array(toolRuleSchema).default([]),
  /** Scoped rules the local user may grant, one action at a time (Allow once / Deny / Deny and stop). */
  askTools: z.array(toolRuleSchema).default([]),
  askTimeoutSeconds: z.number().positive().max(3600).default(60),
  /** false: nothing is asked; every action outside allowedTools is denied at once. */
  askLocalUser: z.boolean().default(true),
  permissionMode: z
    .enum(['dontAsk', 'plan', 'acceptEdits'], {
      message: 'must be "dontAsk", "plan" or "acceptEdits" (bypassPermissions would ignore every rule)',
    })
    .default('dontAsk'),
  maxTurns: z.number().int().min(1).max(500).default(30),
  maxBudgetUsd: z.number().positive().optional(),
  model: z.string().min(1).optional(),
  sandbox: z.enum(['auto', 'required', 'off']).default('auto'),
  env: z.record(z.string(), z.string()).default({}),
  allowShellMetacharacters: z.boolean().default(false),
  defaultTimeoutSeconds: z.number().positive().default(300),
  maxTimeoutSeconds: z.number().positive().default(3600),
});
export type ClaudeConfig = z.infer<typeof claudeConfigSchema>;

const sha256PinSchema = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const hex = v.replace(/^sha256[:/]/i, '').replace(/:/g, '').toLowerCase();
    if (/^[0-9a-f]{64}$/.test(hex)) return hex;
    const b64 = Buffer.from(v.replace(/^sha256[:/]/i, ''), 'base64');
    if (b64.length === 32) return b64.toString('hex');
    ctx.addIssue({ code: 'custom', message: 'must be a SHA-256 fingerprint: 64 hex digits (colons allowed) or base64' });
    return z.NEVER;
  });

export const configSchema = z
  .object({
    version: z.literal(1).default(1),
    serverUrl: z.url({ protocol: /^wss?$/, message: 'must be a ws:// or wss:// URL' }),
    apiKey: z.string().min(1, 'is required'),
    allowInsecure: z.boolean().default(false),
    caFile: z.string().min(1).optional(),
    serverCertificateSha256: sha256PinSchema.optional(),
    dataDir: z.string().min(1).optional(),
    approvalRequired: z.boolean().default(false),
    approvalTimeoutSeconds: z.number().positive().default(120),
    /** When set, an approval card may also allow that technician's AI tasks for this many minutes. */
    approvalGrantMinutes: z.number().int().positive().max(24 * 60).optional(),
    /** Shell / PowerShell / Python commands: off, notify the local user, or hold each for their consent. */
    shellApproval: z.enum(['off', 'notify', 'consent']).default('off'),
    userMayQuit: z.boolean().default(true),
    /** Tray app: force start at login on (true) or off (false); unset leaves it to the user. */
    startAtLogin: z.boolean().optional(),
    maxTimeoutSeconds: z.number().positive().default(86_400),
    outputLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    commandSigningPublicKey: z.string().min(1).optional(),
    claude: claudeConfigSchema.default(() => claudeConfigSchema.parse({})),
  })
  .superRefine((cfg, ctx) => {
    // zod runs this even when serverUrl failed its own check; that failure is already reported.
    if (typeof cfg.serverUrl !== 'string' || !URL.canParse(cfg.serverUrl)) return;
    const url = new URL(cfg.serverUrl);
    if (url.protocol === 'ws:' && !cfg.allowInsecure && !isLoopbackHost(url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        path: ['serverUrl'],
        message: 'ws:// is only allowed to a loopback host; use wss:// or set allowInsecure: true',
      });
    }
  });
export type AgentConfig = z.infer<typeof configSchema>;

/** True for names and addresses that never leave this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates an already-parsed config object; throws ConfigError naming the bad field. */
export function parseConfig(raw: unknown, source = 'config'): { config: AgentConfig; warnings: string[] } {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration in ${source}:\n${lines.join('\n')}`);
  }
  return { config: result.data, warnings: unknownKeys(raw).map((k) => `${source}: unknown key "${k}" ignored`) };
}

/** Reads and validates the policy file at `path`. */
export function loadConfigFile(path: string): { config: AgentConfig; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read the configuration file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`The configuration file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(raw, path);
}

function unknownKeys(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const top = Object.keys(configSchema.shape);
  const out = Object.keys(raw).filter((k) => !top.includes(k));
  const claude = (raw as { claude?: unknown }).claude;
  if (typeof claude === 'object' && claude !== null) {
    const known = Object.keys(claudeConfigSchema.shape);
    out.push(...Object.keys(claude).filter((k) => !known.includes(k)).map((k) => `claude.${k}`));
  }
  return out;
}

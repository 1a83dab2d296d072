import assert from 'node:assert/strict';
import { closeSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { chooseConfinement } from '../../src/claude/claude-launch.js';
import { buildBwrapArgs } from '../../src/confine/bwrap-args.js';
import { planFor, policyAllowsWrites } from '../../src/confine/cli-sandbox.js';
import { identityOf, pinDirectory } from '../../src/confine/directory-pin.js';
import { makeTempDir } from '../support/agent-process.js';

const tmp = makeTempDir('confine-unit-');
after(() => tmp.cleanup());

describe('confinement choice (claude.sandbox)', () => {
  const bwrap = { kind: 'bubblewrap' as const, bwrap: '/usr/bin/bwrap' };
  const none = { kind: 'none' as const, reason: 'bubblewrap (bwrap) is not installed, so AI tasks cannot be confined.' };
  test('auto and required use bubblewrap where it works', () => {
    assert.equal(chooseConfinement('auto', bwrap).kind, 'bubblewrap');
    assert.equal(chooseConfinement('required', bwrap).kind, 'bubblewrap');
  });
  test('required refuses without it; auto runs with a warning; off runs unconfined without one', () => {
    const required = chooseConfinement('required', none);
    assert.ok(required.kind === 'refuse' && /"required", but the AI task cannot be confined: bubblewrap \(bwrap\) is not installed/.test(required.reason));
    const auto = chooseConfinement('auto', none);
    assert.ok(auto.kind === 'none' && auto.warning === `AI task not confined: ${none.reason}`);
    const off = chooseConfinement('off', bwrap);
    assert.deepEqual(off, { kind: 'none', note: 'not confined (claude.sandbox is off)', warning: null });
  });
});

describe('bubblewrap arguments', () => {
  const plan = (over: Partial<ReturnType<typeof planFor>> = {}): ReturnType<typeof planFor> => ({
    workingDirectory: '/srv/share/logs',
    writable: false,
    programPaths: ['/opt/claude'],
    configDir: '/var/lib/gururmm/claude',
    topLevel: new Map([['/bin', 'usr/bin'], ['/lib64', null]]),
    systemPaths: ['/usr', '/etc/passwd', '/etc/ssl'],
    dropCapabilities: true,
    ...over,
  });
  const pairs = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [`${args[i + 1]} ${args[i + 2]}`] : []));

  test('a fresh PID namespace that dies with the agent, no capabilities as root, private /tmp', () => {
    const args = buildBwrapArgs(plan());
    for (const f of ['--die-with-parent', '--unshare-pid', '--new-session']) assert.ok(args.includes(f), f);
    assert.deepEqual(args.slice(args.indexOf('--cap-drop'), args.indexOf('--cap-drop') + 2), ['--cap-drop', 'ALL']);
    assert.equal(buildBwrapArgs(plan({ dropCapabilities: false })).includes('--cap-drop'), false);
    assert.ok(args.join(' ').includes('--tmpfs /tmp'));
    assert.equal(args.at(-1), '--');
  });
  test('the working directory comes from fd 3, read-only unless the policy allows edits; it is where the CLI starts', () => {
    const ro = buildBwrapArgs(plan());
    assert.deepEqual(pairs(ro, '--ro-bind-fd'), ['3 /srv/share/logs']);
    assert.equal(ro.includes('--bind-fd'), false);
    assert.deepEqual(pairs(buildBwrapArgs(plan({ writable: true })), '--bind-fd'), ['3 /srv/share/logs']);
    assert.equal(ro[ro.indexOf('--chdir') + 1], '/srv/share/logs');
  });
  test('only named system paths are visible: never / or /etc whole; the config dir is the only other writable place', () => {
    const args = buildBwrapArgs(plan());
    const ro = pairs(args, '--ro-bind');
    assert.deepEqual(ro, ['/lib64 /lib64', '/usr /usr', '/etc/passwd /etc/passwd', '/etc/ssl /etc/ssl', '/opt/claude /opt/claude']);
    assert.deepEqual(pairs(args, '--bind'), ['/var/lib/gururmm/claude /var/lib/gururmm/claude']);
    assert.equal(args.includes('--dev-bind'), false);
    assert.deepEqual(pairs(args, '--symlink'), ['usr/bin /bin']);
  });
  test('the machine plan never lists /etc/shadow or the policy directory', () => {
    const p = planFor({ workingDirectory: '/w', writable: false, programPaths: [], configDir: '/c' });
    assert.ok(!p.systemPaths.some((s) => s === '/etc' || s.startsWith('/etc/shadow') || s.startsWith('/etc/gururmm')));
  });
  test('edit rules (not Bash or Read rules) make the working directory writable', () => {
    assert.equal(policyAllowsWrites({ allowedTools: [] }), false);
    assert.equal(policyAllowsWrites({ allowedTools: ['Bash(git status:*)', 'Read(./**)'] }), false);
    assert.equal(policyAllowsWrites({ allowedTools: ['Edit(./**)'] }), true);
    assert.equal(policyAllowsWrites({ allowedTools: [], askTools: ['Write(./out/**)'] }), true);
  });
});

describe('pinning the working directory', () => {
  test('the checked directory pins; the descriptor points at it', () => {
    const dir = path.join(tmp.dir, 'a');
    mkdirSync(dir);
    const pinned = pinDirectory(dir, identityOf(dir));
    assert.ok(pinned.ok);
    assert.equal(readlinkSync(`/proc/self/fd/${pinned.value}`), dir);
    closeSync(pinned.value);
  });
  test('replaced by a symlink, by another directory, or gone: refused', () => {
    const dir = path.join(tmp.dir, 'b');
    const elsewhere = path.join(tmp.dir, 'elsewhere');
    mkdirSync(dir);
    mkdirSync(elsewhere);
    const id = identityOf(dir);
    renameSync(dir, `${dir}.old`);
    symlinkSync(elsewhere, dir);
    const viaLink = pinDirectory(dir, id);
    assert.ok(!viaLink.ok && /changed between the check and the start/.test(viaLink.reason));
    rmSync(dir);
    mkdirSync(dir);
    assert.equal(pinDirectory(dir, id).ok, false, 'a new directory at the same path is not the checked one');
    rmSync(dir, { recursive: true });
    assert.equal(pinDirectory(dir, id).ok, false);
    renameSync(`${dir}.old`, dir);
    const back = pinDirectory(dir, id);
    assert.ok(back.ok);
    closeSync(back.value);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cgroupMounts, ownCgroupDir } from '../../src/confine/cgroup-paths.js';
import { cgroupName, cgroupTrampoline } from '../../src/confine/cgroup.js';
import { chooseContainment, type ContainmentProbeDeps } from '../../src/confine/containment.js';

const V2_ONLY = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n';
const HYBRID = [
  '37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const USER_SCOPE = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gururmm-1234.scope\n';

function deps(over: Partial<ContainmentProbeDeps> & { files?: Record<string, string> }): ContainmentProbeDeps {
  const files = over.files ?? {};
  return {
    platform: 'linux',
    readText: (f) => files[f] ?? null,
    probeCgroup: () => null,
    findBwrap: () => '/usr/bin/bwrap',
    probePidNamespace: () => null,
    ...over,
  };
}

describe('containment probe', () => {
  test('a writable cgroup v2 (e.g. a delegated user scope) wins, with the per-command cgroups under its own cgroup', () => {
    const seen: string[] = [];
    const choice = chooseContainment(
      deps({ files: { '/proc/self/cgroup': USER_SCOPE, '/proc/self/mountinfo': V2_ONLY }, probeCgroup: (kind, dir) => (seen.push(`${kind} ${dir}`), null) }),
    );
    assert.equal(choice.mechanism, 'cgroup-v2');
    assert.deepEqual(seen, ['v2 /sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/app-gururmm-1234.scope']);
    assert.match(choice.detail, /app-gururmm-1234\.scope/);
  });

  test('hybrid hierarchy: v2 is found at /sys/fs/cgroup/unified; when it cannot be used, the v1 freezer is next', () => {
    const seen: string[] = [];
    const choice = chooseContainment(
      deps({
        files: { '/proc/self/cgroup': '6:freezer:/agents\n1:cpu,cpuacct:/\n0::/\n', '/proc/self/mountinfo': HYBRID },
        probeCgroup: (kind, dir) => (seen.push(`${kind} ${dir}`), kind === 'v2' ? 'cannot create a cgroup (EACCES)' : null),
      }),
    );
    assert.deepEqual(seen, ['v2 /sys/fs/cgroup/unified', 'v1-freezer /sys/fs/cgroup/freezer/agents']);
    assert.equal(choice.mechanism, 'cgroup-v1-freezer');
  });

  test('no usable cgroup: a bwrap PID namespace; no bwrap either: the process walk, saying why', () => {
    const files = { '/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': V2_ONLY };
    const noCgroup = { files, probeCgroup: () => 'cannot create a cgroup (EACCES)' };
    const pidns = chooseContainment(deps(noCgroup));
    assert.equal(pidns.mechanism, 'pid-namespace');
    assert.deepEqual(pidns.containment?.launch('m', '/bin/sh', ['-c', 'x']).args.slice(-4), ['--', '/bin/sh', '-c', 'x']);
    const walk = chooseContainment(deps({ ...noCgroup, findBwrap: () => null, probePidNamespace: () => 'bubblewrap (bwrap) is not installed' }));
    assert.equal(walk.mechanism, 'process-walk');
    assert.equal(walk.containment, null);
    assert.match(walk.detail, /cgroup v2: cannot create a cgroup \(EACCES\)/);
    assert.match(walk.detail, /cgroup v1 freezer: not mounted/);
    assert.match(walk.detail, /bwrap\) is not installed/);
  });

  test('Windows and macOS keep the process walk / taskkill', () => {
    assert.equal(chooseContainment(deps({ platform: 'win32' })).mechanism, 'process-walk');
    assert.equal(chooseContainment(deps({ platform: 'darwin' })).mechanism, 'process-walk');
  });

  test('mount table parsing: namespaced roots, escaped paths, and paths outside the mount', () => {
    const ns = '50 1 0:40 /system.slice/agent.service /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n';
    assert.equal(ownCgroupDir('v2', '0::/system.slice/agent.service/sub\n', ns), '/sys/fs/cgroup/sub');
    assert.equal(ownCgroupDir('v2', '0::/elsewhere\n', ns), null);
    assert.equal(cgroupMounts('1 1 0:1 / /mnt/my\\040cg rw - cgroup2 none rw\n')[0]?.mountPoint, '/mnt/my cg');
    assert.equal(ownCgroupDir('v1-freezer', '0::/\n', V2_ONLY), null);
  });

  test('cgroup names come from the marker; the trampoline script holds no caller text', () => {
    assert.equal(cgroupName('0123abcd'), 'gururmm-0123abcd');
    assert.match(cgroupName('../../etc x'), /^gururmm-[0-9a-f]{32}$/);
    const plan = cgroupTrampoline('/cg/x', '/bin/sh', ['-c', 'echo "$1"; rm -rf /']);
    assert.equal(plan.file, '/bin/sh');
    assert.equal(plan.args[1], 'echo $$ > "$1/cgroup.procs" || exit 126; shift; exec "$@"');
    assert.deepEqual(plan.args.slice(2), ['sh', '/cg/x', '/bin/sh', '-c', 'echo "$1"; rm -rf /']);
  });
});

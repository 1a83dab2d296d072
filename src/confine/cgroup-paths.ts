/** Where this process's cgroups live: parses /proc/self/cgroup and /proc/self/mountinfo (Linux). */

/** The two cgroup hierarchies a per-command cgroup can be made in. */
export type CgroupKind = 'v2' | 'v1-freezer';

/** A mounted cgroup hierarchy: `root` is the cgroup path the mount point shows (`/` unless namespaced). */
export interface CgroupMount {
  kind: CgroupKind;
  mountPoint: string;
  root: string;
}

/** Every cgroup v2 and v1 freezer mount in `mountinfo` (the text of /proc/self/mountinfo). */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOptions = ''] = line.slice(sep + 3).split(' ');
    const root = left[3];
    const mountPoint = left[4];
    if (root === undefined || mountPoint === undefined) continue;
    const entry = { mountPoint: unescapeMountPath(mountPoint), root: unescapeMountPath(root) };
    if (fstype === 'cgroup2') out.push({ kind: 'v2', ...entry });
    else if (fstype === 'cgroup' && superOptions.split(',').includes('freezer')) out.push({ kind: 'v1-freezer', ...entry });
  }
  return out;
}

/** This process's cgroup path in each hierarchy, from `procCgroup` (the text of /proc/self/cgroup). */
export function ownCgroupPaths(procCgroup: string): Partial<Record<CgroupKind, string>> {
  const out: Partial<Record<CgroupKind, string>> = {};
  for (const line of procCgroup.split('\n')) {
    const m = line.match(/^(\d+):([^:]*):(\/.*)$/);
    if (!m) continue;
    const [, id, controllers = '', cgPath = '/'] = m;
    if (cgPath.endsWith(' (deleted)')) continue;
    if (id === '0' && controllers === '') out.v2 = cgPath;
    else if (controllers.split(',').includes('freezer')) out['v1-freezer'] = cgPath;
  }
  return out;
}

/**
 * The directory of this process's own cgroup of `kind`, or null when no mount shows it.
 * (On a hybrid system cgroup v2 is mounted at /sys/fs/cgroup/unified, so the mount table decides.)
 */
export function ownCgroupDir(kind: CgroupKind, procCgroup: string, mountinfo: string): string | null {
  const own = ownCgroupPaths(procCgroup)[kind];
  if (own === undefined) return null;
  for (const mount of cgroupMounts(mountinfo)) {
    if (mount.kind !== kind) continue;
    const root = mount.root === '/' ? '' : mount.root;
    if (own !== root && !own.startsWith(`${root}/`)) continue;
    const rest = own.slice(root.length).replace(/\/+$/, '');
    return mount.mountPoint.replace(/\/+$/, '') + rest || '/';
  }
  return null;
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * A pretend cluster on this machine for kindling's multi-host tests and benchmark: `hosts` network namespaces,
 * each with its own address on a private bridge (10.77.0.1, .2, ...), joined by veth pairs to a hub namespace
 * that holds the bridge; nothing is added to the machine's own namespace. mpirun runs in the first namespace and
 * starts Open MPI's daemons in the others through rsh-agent.sh (`ip netns exec`) instead of ssh, so the ranks
 * talk over Open MPI's TCP transport exactly as on separate hosts. Needs root (CI runs as root), `ip` and
 * `unshare`. `dispose()` kills whatever still runs in the namespaces and deletes them; it also runs at exit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('./rsh-agent.sh', import.meta.url));
const SUBNET = '10.77.0';

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr || r.error?.message || `status ${r.status}`}`);
}

/** Why namespaces cannot be made here, or null. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root (CI runs as root)';
  for (const tool of ['ip', 'unshare', 'mpirun']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `${tool} not found (apt-get install iproute2 util-linux openmpi-bin)`;
  }
  const probe = `kdprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

/** Kills the processes in a namespace and deletes it (best effort). */
function removeNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split('\n').filter((p) => p !== '')) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
}

/** Deletes the namespaces that an earlier test process (now dead, e.g. killed by a timeout) left behind. */
function removeStaleNamespaces(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const name of list.split('\n').map((l) => l.split(' ')[0] ?? '')) {
    const owner = /^kd(\d+)(?:h\d+|hub)$/.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid % 100000) continue;
    try {
      process.kill(Number(owner), 0);
    } catch {
      removeNamespace(name); // its creator is gone
    }
  }
}

/** One pretend host. */
export interface Host {
  /** The namespace's name (also its host name inside the UTS namespace of its processes). */
  readonly ns: string;
  /** Its address on the bridge. */
  readonly addr: string;
}

/** A set of namespaces playing hosts, and how to run mpirun across them. */
export interface Cluster {
  readonly hosts: readonly Host[];
  /** A hostfile listing every host with `slots` slots (written in a temporary directory). */
  readonly hostfile: string;
  /** mpirun's options for this cluster (agent, TCP only, interfaces, root); add `-np` and the program. */
  mpirunArgs(slotsPerHost?: number): string[];
  /** The environment mpirun needs (the agent's host map). */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Starts `mpirun <args>` inside the first host's namespace, in its own process group. */
  mpirun(args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Kills every process in the namespaces and deletes them (idempotent). */
  dispose(): void;
}

/**
 * Creates `n` namespaces joined by a bridge.
 *
 * @param n - the number of hosts.
 * @param slots - slots per host in the hostfile.
 * @returns the cluster; call `dispose()` in a `finally` / `t.after`.
 */
export function createCluster(n: number, slots = 1): Cluster {
  const id = `kd${process.pid % 100000}`;
  const hub = `${id}hub`;
  const hosts: Host[] = Array.from({ length: n }, (_, i) => ({ ns: `${id}h${i}`, addr: `${SUBNET}.${i + 1}` }));
  const dir = mkdtempSync(join(tmpdir(), 'kindling-netns-'));
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    for (const ns of [...hosts.map((h) => h.ns), hub]) removeNamespace(ns);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', dispose);
  removeStaleNamespaces();
  try {
    ip('netns', 'add', hub);
    ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', hub, 'link', 'set', 'br0', 'up');
    hosts.forEach((h, i) => {
      ip('netns', 'add', h.ns);
      ip('-n', hub, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns);
      ip('-n', hub, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
      ip('-n', h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', 'eth0');
      ip('-n', h.ns, 'link', 'set', 'eth0', 'up');
      ip('-n', h.ns, 'link', 'set', 'lo', 'up');
    });
  } catch (error) {
    dispose();
    throw error;
  }
  const hostfile = join(dir, 'hosts.txt');
  writeFileSync(hostfile, hosts.map((h) => `${h.addr} slots=${slots}`).join('\n') + '\n');
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    KINDLING_NETNS_HOSTS: hosts.map((h) => `${h.addr}=${h.ns}`).join(' '),
    ...extra,
  });
  return {
    hosts,
    hostfile,
    mpirunArgs: (slotsPerHost = slots) => [
      '--allow-run-as-root',
      '--hostfile', hostfile,
      '--map-by', `ppr:${slotsPerHost}:node`,
      '--bind-to', 'none',
      '--mca', 'plm_rsh_agent', AGENT,
      '--mca', 'plm_rsh_no_tree_spawn', '1',
      '--mca', 'btl', 'self,tcp',
      '--mca', 'pml', 'ob1',
      '--mca', 'btl_tcp_if_include', `${SUBNET}.0/24`,
      '--mca', 'oob_tcp_if_include', `${SUBNET}.0/24`,
    ],
    env,
    mpirun: (args, extra) =>
      spawn('ip', ['netns', 'exec', hosts[0]!.ns, 'unshare', '--uts', 'sh', '-c', `hostname ${hosts[0]!.ns} && exec mpirun "$@"`, 'mpirun', ...args], {
        env: env(extra),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    dispose,
  };
}

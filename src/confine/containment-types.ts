/** The shape every shell-command containment mechanism has (see containment.ts for the choice). */

/** The mechanisms, strongest first. `process-walk` is the /proc walk + environment marker alone. */
export type ContainmentMechanism = 'cgroup-v2' | 'cgroup-v1-freezer' | 'pid-namespace' | 'process-walk';

/** What the agent logs at start-up: the mechanism in use and, in words, where and why. */
export interface ContainmentDescription {
  mechanism: ContainmentMechanism;
  detail: string;
}

/** The command line that actually gets spawned. */
export interface LaunchPlan {
  file: string;
  args: string[];
}

/** A way to start a command so that everything it starts can be killed with it. */
export interface ShellContainment extends ContainmentDescription {
  /** Makes a fresh container named after `marker` and returns the command line that starts `file args` inside it. Throws if it cannot. */
  launch(marker: string, file: string, args: readonly string[]): LaunchPlan;
  /** Kills everything in the container of `marker` and removes it; never throws. */
  kill(marker: string): Promise<void>;
  /** After the command ended on its own: removes its container if nothing is left running in it; true once it is gone. */
  release(marker: string): boolean;
}

// Entry module of one pool child process: one process = one TF.js backend, initialised by the first run it executes.
import { executeRun, type RunDone, type RunTask } from './execute.js';

// A child whose parent died (SIGKILL of a queue worker) must not keep burning a core: its run is retried elsewhere.
// (Checked once more on load: a parent killed while this module was loading has already disconnected.)
// The 'disconnect' event needs the event loop, which a run's synchronous TF.js stretches hold for minutes on a loaded
// machine; so each progress line also checks the parent pid, which the kernel re-parents (to 1 or a subreaper) at once.
const parentPid = process.ppid;
if (process.send) {
  if (!process.connected) process.exit(1);
  process.on('disconnect', () => process.exit(1));
}

function exitIfOrphaned(): void {
  if (process.send && process.ppid !== parentPid) process.exit(1);
}

export default async function runTask(task: RunTask): Promise<RunDone> {
  return executeRun(task, exitIfOrphaned);
}

/* Whether a process (an execution environment's) is still alive: signal 0 checks without killing. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * True while process `pid` runs on this machine (signal 0 checks without sending anything; a
 * process we may not signal still runs). Leases and the ingest journal use it to tell a holder
 * that died from one that is busy.
 */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether a process id may still be running on this host. Signal 0 only checks that the process
 * exists; anything but ESRCH ("no such process") counts as alive (EPERM: it exists, owned by
 * another user), so that nothing a live process may still be using is taken or deleted.
 */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

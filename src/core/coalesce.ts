/**
 * A task that runs one at a time: a call while it runs shares that run and asks for one more
 * run after it (however many calls came meanwhile), so that what changed during a run is seen.
 */
export function coalescing(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

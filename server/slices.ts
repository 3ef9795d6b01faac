/**
 * Long work in slices that give the event loop back: a 6 MiB batch is seconds of CPU, and done
 * in one go it would keep `/ping`, small requests and SIGTERM waiting until it ends. The work
 * runs in ranges of rows; after a slice's CPU budget it yields (setImmediate), so other
 * requests and timers run in between. Work that fits in one slice (a one-row request) is done
 * synchronously, with no yield and no allocation beyond the call.
 */

/** CPU time a slice may take before it yields to the event loop. */
export const SLICE_MS = 10;

export interface SliceOptions {
  /** Checked between slices: true stops the work (the client has gone); `done` is not called. */
  stopped: () => boolean;
  sliceMs?: number;
}

/**
 * Call `step()` until it returns false, yielding to the event loop whenever a slice has used
 * its CPU time; then `done()`, or `done(error)` with what `step` threw (no step runs after it).
 * A step should be small (a few hundred rows): the clock is read between steps.
 */
export function inSlices(
  step: () => boolean,
  done: (error?: unknown) => void,
  { stopped, sliceMs = SLICE_MS }: SliceOptions,
): void {
  const slice = () => {
    if (stopped()) return;
    const deadline = performance.now() + sliceMs;
    try {
      while (step()) {
        if (performance.now() > deadline) {
          setImmediate(slice);
          return;
        }
      }
    } catch (error) {
      done(error);
      return;
    }
    done();
  };
  slice();
}

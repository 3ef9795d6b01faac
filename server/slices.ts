/**
 * Long work in slices that give the event loop back: a 6 MiB batch is seconds of CPU, and done
 * in one go it would keep `/ping`, small requests and SIGTERM waiting until it ends. The work
 * runs in ranges of rows; after a slice's CPU budget it yields, so other requests and timers
 * run in between. Work that fits in one slice (a one-row request) is done synchronously, with
 * no yield and no allocation beyond the call.
 *
 * The batches waiting for their next slice take turns, one slice per turn of the event loop,
 * so that a turn costs one slice however many batches there are: were each to queue its own
 * setImmediate, ten batches would make every turn ten slices long, and a /ping would wait that
 * long at each of the few turns it needs (accepted, read, answered). The first slice, run at
 * once, is short for the same reason: twenty bodies can end in one turn.
 */

/** CPU time a slice may take before it yields to the event loop. */
export const SLICE_MS = 10;
/** CPU time of the first slice, run as soon as the work is asked for. */
export const FIRST_SLICE_MS = 1;

export interface SliceOptions {
  /** Checked between slices: true stops the work (the client has gone); `done` is not called. */
  stopped: () => boolean;
  sliceMs?: number;
  firstSliceMs?: number;
}

/** Run one slice of some work, within SLICE_MS; true when it has more to do. */
export type Slice = () => boolean;

/** The work waiting for a slice, in turn. */
const waiting: Slice[] = [];
let scheduled = false;

function nextTurn(): void {
  scheduled = false;
  const slice = waiting.shift();
  if (slice?.()) waiting.push(slice);
  if (waiting.length > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(nextTurn);
}

/** Run `slice` at a later turn of the event loop, in turn with the other work waiting, until it returns false. */
export function takeTurns(slice: Slice): void {
  waiting.push(slice);
  schedule();
}

/**
 * Call `step()` until it returns false, yielding to the event loop whenever a slice has used
 * its CPU time; then `done()`, or `done(error)` with what `step` threw (no step runs after it).
 * A step should be small (a few hundred rows): the clock is read between steps.
 */
export function inSlices(
  step: () => boolean,
  done: (error?: unknown) => void,
  { stopped, sliceMs = SLICE_MS, firstSliceMs = FIRST_SLICE_MS }: SliceOptions,
): void {
  let budget = firstSliceMs;
  const slice: Slice = () => {
    if (stopped()) return false;
    const deadline = performance.now() + budget;
    budget = sliceMs;
    try {
      while (step()) {
        if (performance.now() > deadline) return true;
      }
    } catch (error) {
      done(error);
      return false;
    }
    done();
    return false;
  };
  if (slice()) takeTurns(slice);
}

/**
 * Run `work` (one step that cannot be cut, such as parsing a body) at a turn of its own, in turn
 * with the batches waiting for a slice; at once when `small` (a one-row request costs no turn).
 * Twenty large bodies that end in the same turn are then parsed one a turn, with I/O and
 * `/ping` served in between, not back to back. Skipped when `stopped()` by its turn.
 */
export function inItsTurn(work: () => void, small: boolean, stopped: () => boolean): void {
  if (small) {
    work();
    return;
  }
  takeTurns(() => {
    if (!stopped()) work();
    return false;
  });
}

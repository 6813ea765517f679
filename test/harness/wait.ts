export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 100 ms. */
  intervalMs?: number;
  /** What we were waiting for, for the error. */
  message?: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `predicate` until it returns true; throws after `timeoutMs` with `message` and the predicate's
 * last error, if it threw. The predicate runs at least once, even with a zero timeout.
 */
export async function waitFor(
  predicate: () => Promise<boolean> | boolean,
  opts: WaitOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (true) {
    try {
      if (await predicate()) return;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const why =
    lastError === undefined
      ? ''
      : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${opts.message ?? 'a condition'}${why}`);
}

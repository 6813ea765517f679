// Background task runner for the log layer (Kafka's KafkaScheduler): retention checks,
// checkpoint writes, delayed file deletion. Timers are unref'd so they never keep the process
// alive on their own, and a failing task is logged instead of crashing the broker.

import { getLogger } from '../utils/logger';

/** setTimeout's largest delay; anything above it (e.g. Long.MAX "never") is chained or dropped. */
const MAX_TIMER_DELAY_MS = 0x7fffffff;

const logger = getLogger('kafka.utils.KafkaScheduler');

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = true;

  get isStarted(): boolean {
    return this.running;
  }

  /** Runs `fn` once after `delayMs` (clamped at 0). Delays beyond ~24.8 days are chained. */
  scheduleOnce(name: string, fn: () => void | Promise<void>, delayMs = 0): void {
    if (!this.running) return;
    const delay = Math.max(0, delayMs);
    if (!Number.isFinite(delay)) return;
    const step = Math.min(delay, MAX_TIMER_DELAY_MS);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (delay > step) this.scheduleOnce(name, fn, delay - step);
      else this.run(name, fn);
    }, step);
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * Runs `fn` every `periodMs` after `initialDelayMs`. A period that setTimeout cannot express
   * (Kafka's Long.MAX_VALUE defaults mean "never") schedules nothing.
   */
  schedulePeriodic(
    name: string,
    fn: () => void | Promise<void>,
    initialDelayMs: number,
    periodMs: number,
  ): void {
    if (!this.running || !(periodMs > 0) || periodMs > MAX_TIMER_DELAY_MS) return;
    const tick = (): void => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const done = this.run(name, fn);
        void done.then(() => {
          if (this.running) tick();
        });
      }, periodMs);
      timer.unref();
      this.timers.add(timer);
    };
    this.scheduleOnce(
      name,
      async () => {
        await this.run(name, fn);
        if (this.running) tick();
      },
      initialDelayMs,
    );
  }

  /** Cancels every pending task; running ones finish. */
  shutdown(): void {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async run(name: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      logger.error(`Uncaught exception in scheduled task '${name}': ${(e as Error)?.stack ?? String(e)}`);
    }
  }
}

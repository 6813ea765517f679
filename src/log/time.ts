// Wall clock as an injectable dependency, so retention and segment.ms rolls can be tested
// without sleeping (Kafka's Time).

export interface Time {
  /** Milliseconds since the epoch. */
  milliseconds(): number;
}

export const SystemTime: Time = { milliseconds: () => Date.now() };

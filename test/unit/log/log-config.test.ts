import { InvalidConfigurationError } from '../../../src/log/errors';
import { LogConfig, LogManagerConfig, validateTopicOverrides } from '../../../src/log/log-config';

describe('LogConfig', () => {
  test("Kafka's defaults", () => {
    const c = LogConfig.of();
    expect(c.segmentBytes).toBe(1073741824);
    expect(c.segmentMs).toBe(604800000);
    expect(c.segmentJitterMs).toBe(0);
    expect(c.segmentIndexBytes).toBe(10485760);
    expect(c.indexIntervalBytes).toBe(4096);
    expect(c.maxMessageBytes).toBe(1048588);
    expect(c.retentionMs).toBe(604800000);
    expect(c.retentionBytes).toBe(-1);
    expect(c.fileDeleteDelayMs).toBe(60000);
    expect(c.cleanupPolicy).toEqual(['delete']);
    expect(c.delete).toBe(true);
    expect(c.compact).toBe(false);
    expect(c.messageTimestampType).toBe('CreateTime');
    expect(c.minInSyncReplicas).toBe(1);
    expect(c.preallocate).toBe(false);
    expect(c.flushMessagesBig).toBeNull();
    // Long.MAX_VALUE stays exact in the text form (DescribeConfigs).
    expect(c.get('flush.ms')).toBe('9223372036854775807');
    expect(c.get('flush.messages')).toBe('9223372036854775807');
    expect(c.get('min.cleanable.dirty.ratio')).toBe('0.5');
    expect(c.source('segment.bytes')).toBe('default');
  });

  test('broker log.* settings become topic defaults; topic overrides win', () => {
    const c = LogConfig.fromProperties(
      {
        'log.segment.bytes': '2048',
        'log.roll.hours': '2',
        'message.max.bytes': '500',
        'log.cleanup.policy': 'compact',
      },
      { 'segment.bytes': '4096' },
    );
    expect(c.segmentBytes).toBe(4096);
    expect(c.source('segment.bytes')).toBe('topic');
    expect(c.segmentMs).toBe(2 * 3600000);
    expect(c.source('segment.ms')).toBe('broker');
    expect(c.maxMessageBytes).toBe(500);
    expect(c.compact).toBe(true);
    expect(c.overrides()).toEqual({ 'segment.bytes': '4096' });
  });

  test('log.roll.ms beats log.roll.hours; retention ms > minutes > hours; -1 = unlimited', () => {
    expect(LogConfig.fromProperties({ 'log.roll.ms': '1234', 'log.roll.hours': '5' }).segmentMs).toBe(1234);
    expect(LogConfig.fromProperties({ 'log.retention.hours': '1' }).retentionMs).toBe(3600000);
    expect(
      LogConfig.fromProperties({ 'log.retention.minutes': '3', 'log.retention.hours': '1' }).retentionMs,
    ).toBe(180000);
    expect(
      LogConfig.fromProperties({
        'log.retention.ms': '77',
        'log.retention.minutes': '3',
        'log.retention.hours': '1',
      }).retentionMs,
    ).toBe(77);
    expect(LogConfig.fromProperties({ 'log.retention.ms': '-1' }).retentionMs).toBe(-1);
    expect(LogConfig.fromProperties({ 'log.retention.hours': '-5' }).retentionMs).toBe(-1);
    expect(() => LogConfig.fromProperties({ 'log.retention.ms': '0' })).toThrow(/log\.retention\.ms/);
    expect(LogConfig.fromProperties({ 'log.roll.jitter.hours': '1' }).segmentJitterMs).toBe(3600000);
  });

  test('flush.ms falls back to log.flush.scheduler.interval.ms; flush.messages from log.flush.interval.messages', () => {
    expect(LogConfig.fromProperties({ 'log.flush.scheduler.interval.ms': '3000' }).flushMs).toBe(3000);
    expect(
      LogConfig.fromProperties({ 'log.flush.interval.ms': '10', 'log.flush.scheduler.interval.ms': '3000' })
        .flushMs,
    ).toBe(10);
    const c = LogConfig.fromProperties({ 'log.flush.interval.messages': '5' });
    expect(c.flushMessages).toBe(5);
    expect(c.flushMessagesBig).toBe(5n);
  });

  test('errors name the offending key, broker or topic', () => {
    const check = (fn: () => unknown, key: string, text: RegExp) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidConfigurationError);
        expect((e as InvalidConfigurationError).key).toBe(key);
        expect((e as Error).message).toMatch(text);
        expect((e as InvalidConfigurationError).errorCode).toBe(40);
        return;
      }
      throw new Error('expected an error');
    };
    check(
      () => LogConfig.fromProperties({ 'log.segment.bytes': 'abc' }),
      'log.segment.bytes',
      /Invalid value abc for configuration log\.segment\.bytes: Not a number of type INT/,
    );
    check(
      () => LogConfig.fromProperties({}, { 'segment.bytes': '10' }),
      'segment.bytes',
      /Value must be at least 14/,
    );
    check(() => LogConfig.fromProperties({}, { 'segment.bytes': '4294967296' }), 'segment.bytes', /INT/);
    check(
      () => LogConfig.fromProperties({}, { 'cleanup.policy': 'delete,bogus' }),
      'cleanup.policy',
      /compact, delete/,
    );
    check(
      () => LogConfig.fromProperties({}, { 'message.timestamp.type': 'Wallclock' }),
      'message.timestamp.type',
      /CreateTime, LogAppendTime/,
    );
    check(() => LogConfig.fromProperties({}, { preallocate: 'yes' }), 'preallocate', /true or false/);
    check(
      () => LogConfig.fromProperties({}, { 'min.cleanable.dirty.ratio': '1.5' }),
      'min.cleanable.dirty.ratio',
      /no more than 1/,
    );
    check(() => LogConfig.fromProperties({ 'log.roll.hours': '0' }), 'log.roll.hours', /at least 1/);
    check(
      () => validateTopicOverrides({ 'segment.bites': '1' }),
      'segment.bites',
      /Unknown topic config name: segment\.bites/,
    );
    check(
      () => LogConfig.fromProperties({}, { 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }),
      'min.compaction.lag.ms',
      /conflict/,
    );
  });

  test('values are trimmed; unknown topic keys are ignored when loading', () => {
    const c = LogConfig.fromProperties({}, { 'retention.ms': ' 1000 ', 'some.future.config': 'x' });
    expect(c.retentionMs).toBe(1000);
    expect(c.get('retention.ms')).toBe('1000');
    expect(c.get('some.future.config')).toBeUndefined();
  });

  test('derived settings', () => {
    const c = LogConfig.of({
      'cleanup.policy': 'compact,delete',
      'max.compaction.lag.ms': '1000',
      preallocate: 'true',
      'segment.bytes': '5000',
    });
    expect(c.maxSegmentMs).toBe(1000);
    expect(c.initFileSize).toBe(5000);
    const j = LogConfig.of({ 'segment.jitter.ms': '100', 'segment.ms': '50' });
    for (let i = 0; i < 50; i++) {
      const jitter = j.randomSegmentJitter();
      expect(jitter).toBeGreaterThanOrEqual(0);
      expect(jitter).toBeLessThan(50);
    }
    expect(LogConfig.of().randomSegmentJitter()).toBe(0);
    const broker = LogConfig.fromProperties({ 'log.segment.bytes': '9999' });
    expect(broker.withTopicOverrides({ 'retention.ms': '5' }).segmentBytes).toBe(9999);
  });
});

describe('LogManagerConfig', () => {
  test('log.dirs, falling back to log.dir, and the intervals', () => {
    const m = LogManagerConfig.fromProperties({
      'log.dirs': '/a, /b',
      'log.retention.check.interval.ms': '1000',
    });
    expect(m.logDirs).toEqual(['/a', '/b']);
    expect(m.retentionCheckIntervalMs).toBe(1000);
    expect(m.flushRecoveryOffsetCheckpointIntervalMs).toBe(60000);
    expect(m.flushStartOffsetCheckpointIntervalMs).toBe(60000);
    expect(m.initialTaskDelayMs).toBe(30000);
    expect(LogManagerConfig.fromProperties({ 'log.dir': '/c' }).logDirs).toEqual(['/c']);
    expect(LogManagerConfig.fromProperties({}).logDirs).toEqual(['/tmp/kafka-logs']);
    expect(() => LogManagerConfig.fromProperties({ 'log.retention.check.interval.ms': '0' })).toThrow(
      /log\.retention\.check\.interval\.ms/,
    );
  });
});

// Errors raised by the log layer. Each carries the Kafka protocol error code a request handler
// should answer with (-1 = UNKNOWN_SERVER_ERROR), so handlers can map them without instanceof
// chains. Names follow Kafka's exception classes so log lines read the same.

export class LogError extends Error {
  /** Kafka protocol error code for a response (see the Errors table in protocol.md). */
  readonly errorCode: number;

  constructor(name: string, errorCode: number, message: string) {
    super(message);
    this.name = name;
    this.errorCode = errorCode;
  }
}

/** Fetch/ListOffsets/DeleteRecords offset outside [logStartOffset, logEndOffset] (OFFSET_OUT_OF_RANGE). */
export class OffsetOutOfRangeError extends LogError {
  constructor(message: string) {
    super('OffsetOutOfRangeException', 1, message);
  }
}

/** Batch framing or CRC is wrong (CORRUPT_MESSAGE). */
export class CorruptRecordError extends LogError {
  constructor(message: string) {
    super('CorruptRecordException', 2, message);
  }
}

/** The records of one append are larger than segment.bytes (RECORD_LIST_TOO_LARGE). */
export class RecordBatchTooLargeError extends LogError {
  constructor(message: string) {
    super('RecordBatchTooLargeException', 18, message);
  }
}

/** An I/O failure; the log is taken offline (KAFKA_STORAGE_ERROR). */
export class KafkaStorageError extends LogError {
  constructor(message: string, cause?: unknown) {
    super('KafkaStorageException', 56, message);
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/** A config value or name is invalid (INVALID_CONFIG). `key` names the offending setting. */
export class InvalidConfigurationError extends LogError {
  readonly key: string;

  constructor(key: string, message: string) {
    super('ConfigException', 40, message);
    this.key = key;
  }
}

/** The topic id on disk differs from the one the controller sent (INCONSISTENT_TOPIC_ID). */
export class InconsistentTopicIdError extends LogError {
  constructor(message: string) {
    super('InconsistentTopicIdException', 103, message);
  }
}

/** Append whose first offset is below the log end offset (a caller bug or a stale follower fetch). */
export class UnexpectedAppendOffsetError extends LogError {
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;

  constructor(message: string, firstOffset: bigint, lastOffset: bigint) {
    super('UnexpectedAppendOffsetException', -1, message);
    this.firstOffset = firstOffset;
    this.lastOffset = lastOffset;
  }
}

/** Follower records whose batches are not in increasing offset order. */
export class OffsetsOutOfOrderError extends LogError {
  constructor(message: string) {
    super('OffsetsOutOfOrderException', -1, message);
  }
}

/** An offset does not fit a segment's int32 relative offset. */
export class LogSegmentOffsetOverflowError extends LogError {
  constructor(message: string) {
    super('LogSegmentOffsetOverflowException', -1, message);
  }
}

/** An index file's content is inconsistent; the index gets rebuilt from the .log file. */
export class CorruptIndexError extends LogError {
  constructor(message: string) {
    super('CorruptIndexException', -1, message);
  }
}

/** An index append that would break ordering. */
export class InvalidOffsetError extends LogError {
  constructor(message: string) {
    super('InvalidOffsetException', -1, message);
  }
}

/** Startup problems with a log directory (lock held, meta.properties mismatch, bad dir names). */
export class LogDirError extends LogError {
  constructor(message: string) {
    super('KafkaException', -1, message);
  }
}

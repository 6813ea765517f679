// Errors raised while reading, validating or converting record sets. Each carries the Kafka error code
// the produce/fetch path reports for it (record-format.md §4.5), so handlers can map them without
// knowing which check failed.

import { ErrorCode } from '../errors';

/** The subset of Kafka error codes the record layer produces (values from ../errors). */
export const RecordsErrorCode = {
  UNKNOWN_SERVER_ERROR: ErrorCode.UNKNOWN_SERVER_ERROR,
  NONE: ErrorCode.NONE,
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  RECORD_LIST_TOO_LARGE: ErrorCode.RECORD_LIST_TOO_LARGE,
  INVALID_TIMESTAMP: ErrorCode.INVALID_TIMESTAMP,
  UNSUPPORTED_VERSION: ErrorCode.UNSUPPORTED_VERSION,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  UNSUPPORTED_COMPRESSION_TYPE: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
} as const;

/** Base class: a record-layer failure with the Kafka error code it maps to. */
export class RecordsError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Kafka's CorruptRecordException → CORRUPT_MESSAGE (2). */
export class CorruptRecordError extends RecordsError {
  constructor(message: string) {
    super(RecordsErrorCode.CORRUPT_MESSAGE, message);
  }
}

/** Kafka's InvalidRecordException → INVALID_RECORD (87). */
export class InvalidRecordError extends RecordsError {
  constructor(message: string) {
    super(RecordsErrorCode.INVALID_RECORD, message);
  }
}

/** Kafka's UnsupportedCompressionTypeException → UNSUPPORTED_COMPRESSION_TYPE (76). */
export class UnsupportedCompressionTypeError extends RecordsError {
  constructor(message: string) {
    super(RecordsErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message);
  }
}

/** Kafka's RecordTooLargeException → MESSAGE_TOO_LARGE (10). */
export class RecordTooLargeError extends RecordsError {
  constructor(message: string) {
    super(RecordsErrorCode.MESSAGE_TOO_LARGE, message);
  }
}

#!/usr/bin/python3
"""Consume side of `npm run bench`: a librdkafka consumer (Debian's python3-confluent-kafka).

Reads --records records of partition 0 of --topic from offset 0 and prints one JSON line
{"records", "bytes", "seconds", "cpuSeconds", "firstMs"}: `seconds` runs from assign() to the last record, like
kafka-consumer-perf-test's fetch time; firstMs is the time to the first record. The partition is
assigned, not subscribed: no consumer group, no offset commits (librdkafka insists on a group.id
all the same). Record values are counted with len(), the only per-record Python work.
"""

import argparse
import json
import resource
import sys
import time

try:
    from confluent_kafka import Consumer, KafkaError, TopicPartition
except ImportError:
    sys.stderr.write("python3-confluent-kafka is not installed (apt-get install python3-confluent-kafka)\n")
    sys.exit(3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--fetch-bytes", default="1048576", help="max.partition.fetch.bytes")
    ap.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    ap.add_argument("--set", action="append", default=[], help="extra librdkafka property k=v")
    a = ap.parse_args()

    conf = {
        "bootstrap.servers": a.bootstrap,
        "client.id": "samsa-bench-consumer",
        "group.id": "samsa-bench",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": False,
        "max.partition.fetch.bytes": a.fetch_bytes,
        "fetch.max.bytes": max(52428800, int(a.fetch_bytes)),
        "fetch.wait.max.ms": 500,
        # Prefetch up to 256 MiB or 2M records: at the default 100000 records librdkafka pauses
        # fetching 100 B records every 10 MB and the consume rate is set by its back-off, not the broker.
        "queued.max.messages.kbytes": 262144,
        "queued.min.messages": 2000000,
        "check.crcs": False,
    }
    for kv in a.set:
        k, _, v = kv.partition("=")
        conf[k] = v
    c = Consumer(conf)
    c.list_topics(a.topic, timeout=30)

    n = a.records
    count = 0
    nbytes = 0
    first = None
    error = None
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    deadline = start + a.timeout
    c.assign([TopicPartition(a.topic, 0, 0)])
    consume = c.consume
    while count < n:
        msgs = consume(num_messages=10000, timeout=1.0)
        if not msgs:
            if time.perf_counter() > deadline:
                error = "timed out after %d of %d records" % (count, n)
                break
            continue
        if first is None:
            first = time.perf_counter()
        for m in msgs:
            e = m.error()
            if e is not None:
                if e.code() == KafkaError._PARTITION_EOF:
                    continue
                error = str(e)
                break
            count += 1
            nbytes += len(m)
        if error is not None:
            break
    end = time.perf_counter()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    c.close()
    out = {
        "records": count,
        "bytes": nbytes,
        "seconds": end - start,
        "cpuSeconds": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "firstMs": ((first - start) * 1000.0) if first is not None else None,
        "error": error,
    }
    print(json.dumps(out), flush=True)
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main())

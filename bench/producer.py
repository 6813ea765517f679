#!/usr/bin/python3
"""Load generator for `npm run bench`: a librdkafka producer (Debian's python3-confluent-kafka).

Produces --records records of --record-size bytes (one random payload, reused) to partition 0 of
--topic, as fast as the client can, and prints one JSON line:
  {"records", "bytes", "seconds", "cpuSeconds", "avg", "max", "p50", "p95", "p99", "p999", ...}
Times are from the first produce() to the last delivery report (flush), like
kafka-producer-perf-test; cpuSeconds is the CPU time this process (all threads) used meanwhile.
Latency (ms) is produce() -> delivery report, sampled on one record in `sample_every`
(kafka-producer-perf-test keeps as many samples: one in records / min(records, 500000));
unsampled records carry no Python callback, so the generator spends its time in librdkafka.
Delivery errors are counted from the sampled reports and from error_cb; the runner checks the
totals against what the broker stored.
"""

import argparse
import json
import os
import resource
import sys
import time

try:
    from confluent_kafka import KafkaException, Producer
except ImportError:
    sys.stderr.write("python3-confluent-kafka is not installed (apt-get install python3-confluent-kafka)\n")
    sys.exit(3)


def percentile(sorted_values, q):
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return sorted_values[i]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--record-size", type=int, required=True)
    ap.add_argument("--acks", default="1")
    ap.add_argument("--linger-ms", default="5")
    ap.add_argument("--batch-size", default="1000000")
    ap.add_argument("--batch-num-messages", default="10000")
    ap.add_argument("--buffer-kbytes", default="32768", help="queue.buffering.max.kbytes (buffer.memory)")
    ap.add_argument("--max-in-flight", default="5")
    ap.add_argument("--set", action="append", default=[], help="extra librdkafka property k=v")
    a = ap.parse_args()

    conf = {
        "bootstrap.servers": a.bootstrap,
        "client.id": "samsa-bench-producer",
        "acks": a.acks,
        "linger.ms": a.linger_ms,
        "batch.size": a.batch_size,
        "batch.num.messages": a.batch_num_messages,
        "queue.buffering.max.kbytes": a.buffer_kbytes,
        "queue.buffering.max.messages": 10000000,
        "max.in.flight.requests.per.connection": a.max_in_flight,
        "compression.type": "none",
        "enable.idempotence": False,
        "message.timeout.ms": 30000,
    }
    for kv in a.set:
        k, _, v = kv.partition("=")
        conf[k] = v

    errors = [0]
    first_error = [None]

    def on_error(err):
        errors[0] += 1
        if first_error[0] is None:
            first_error[0] = str(err)

    conf["error_cb"] = on_error
    p = Producer(conf)
    # Metadata first (partition 0 must have a leader), so connection setup is not timed.
    deadline = time.monotonic() + 30
    while True:
        tmd = p.list_topics(a.topic, timeout=30).topics.get(a.topic)
        if tmd is not None and tmd.error is None and 0 in tmd.partitions and tmd.partitions[0].leader >= 0:
            break
        if time.monotonic() > deadline:
            sys.stderr.write("topic %s not available: %s\n" % (a.topic, tmd.error if tmd else "missing"))
            sys.exit(1)
        time.sleep(0.2)

    n = a.records
    payload = os.urandom(a.record_size)
    sample_every = max(1, n // min(n, 500000))
    latencies = []
    lat_append = latencies.append
    perf = time.perf_counter

    def report(err, _msg, t0):
        if err is not None:
            errors[0] += 1
            if first_error[0] is None:
                first_error[0] = str(err)
        else:
            lat_append(perf() - t0)

    produce = p.produce
    poll = p.poll
    topic = a.topic
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    start = perf()
    i = 0
    while i < n:
        try:
            if i % sample_every == 0:
                t0 = perf()
                produce(topic, payload, partition=0, on_delivery=lambda e, m, t0=t0: report(e, m, t0))
            else:
                produce(topic, payload, partition=0)
            i += 1
        except BufferError:
            # Queue full (queue.buffering.max.kbytes): serve delivery reports until a quarter of it
            # has drained, rather than retrying (and raising) on every freed slot.
            low = len(p) * 3 // 4
            while len(p) > low:
                poll(0.001)
            continue
        if i & 1023 == 0:
            poll(0)
    remaining = p.flush(60)
    seconds = perf() - start
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if remaining:
        errors[0] += remaining
        first_error[0] = first_error[0] or "%d records not delivered within 60 s of the last produce()" % remaining

    latencies.sort()
    ms = [x * 1000.0 for x in latencies]
    out = {
        "records": n,
        "recordSize": a.record_size,
        "bytes": n * a.record_size,
        "seconds": seconds,
        "cpuSeconds": cpu_seconds,
        "avg": (sum(ms) / len(ms)) if ms else 0.0,
        "max": ms[-1] if ms else 0.0,
        "p50": percentile(ms, 0.50),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
        "p999": percentile(ms, 0.999),
        "samples": len(ms),
        "errors": errors[0],
        "firstError": first_error[0],
        "client": "python3-confluent-kafka %s / librdkafka %s" % (
            __import__("confluent_kafka").version()[0],
            __import__("confluent_kafka").libversion()[0],
        ),
    }
    print(json.dumps(out), flush=True)
    return 0 if errors[0] == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KafkaException as e:
        sys.stderr.write("kafka error: %s\n" % e)
        sys.exit(1)

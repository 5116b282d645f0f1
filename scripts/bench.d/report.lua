-- wrk script for one URL: wrk's own fast path sends the same request on
-- every connection; we only add a machine-readable summary at the end.

done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d," ..
    "\"p50_us\":%d,\"p99_us\":%d,\"max_us\":%d,\"errors\":%d,\"non_2xx\":%d}\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    summary.errors.status))
end

package io.towerrelay.bench.load;

/** Counts of latencies in whole microseconds up to 1 s (exact percentiles), plus an overflow count. */
public final class LatencyHistogram {

    private static final int MAX_MICROS = 1_000_000;
    private final long[] counts = new long[MAX_MICROS + 1];
    private long total;

    public void record(long micros) {
        int bucket = (int) Math.max(0, Math.min(MAX_MICROS, micros));
        counts[bucket]++;
        total++;
    }

    public void add(LatencyHistogram other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
    }

    public void clear() {
        java.util.Arrays.fill(counts, 0);
        total = 0;
    }

    public long count() {
        return total;
    }

    /** The smallest latency (µs) that at least {@code fraction} of the samples are at or below; -1 when empty. */
    public long percentile(double fraction) {
        if (total == 0) {
            return -1;
        }
        long rank = (long) Math.ceil(fraction * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= Math.max(1, rank)) {
                return i;
            }
        }
        return MAX_MICROS;
    }
}

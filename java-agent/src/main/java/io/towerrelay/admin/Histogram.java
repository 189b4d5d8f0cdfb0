package io.towerrelay.admin;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Prometheus histogram with fixed bucket bounds in seconds; lock-free, safe from any I/O thread. Each bucket is a
 * {@link LongAdder}: every proxied request lands in the same few buckets from all I/O threads, and one shared
 * counter per bucket would move its cache line between the cores on each of them.
 */
public final class Histogram {
    private final double[] bounds;
    /** One per bound, and one past the last for observations above every bound. */
    private final LongAdder[] counts;
    private final DoubleAdder sum = new DoubleAdder();

    public Histogram(double... bounds) {
        this.bounds = bounds.clone();
        this.counts = new LongAdder[bounds.length + 1];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void observe(double seconds) {
        int i = 0;
        while (i < bounds.length && seconds > bounds[i]) {
            i++;
        }
        counts[i].increment();
        sum.add(seconds);
    }

    /**
     * The exposition. {@code _count} and the {@code +Inf} bucket are the sum of the buckets as read here, so the
     * buckets stay cumulative and end at the count even while requests are observed meanwhile.
     */
    void writeTo(StringBuilder out, String name, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts[i].sum();
            out.append(name).append("_bucket{le=\"").append(PrometheusText.number(bounds[i])).append("\"} ")
                    .append(cumulative).append('\n');
        }
        cumulative += counts[bounds.length].sum();
        out.append(name).append("_bucket{le=\"+Inf\"} ").append(cumulative).append('\n');
        out.append(name).append("_sum ").append(PrometheusText.number(sum.sum())).append('\n');
        out.append(name).append("_count ").append(cumulative).append('\n');
    }
}

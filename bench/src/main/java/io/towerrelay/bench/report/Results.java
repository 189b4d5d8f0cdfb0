package io.towerrelay.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every sample of a run, by key {@code family/test/target/metric} (e.g. {@code http/small-keepalive/relay/rps}),
 * in the order measured. Tables use the median over rounds.
 */
public final class Results {

    private final Map<String, List<Double>> samples = new LinkedHashMap<>();
    private final Map<String, String> notes = new LinkedHashMap<>();

    public synchronized void add(String family, String test, String target, String metric, double value) {
        samples.computeIfAbsent(key(family, test, target, metric), k -> new ArrayList<>()).add(value);
    }

    public synchronized void note(String key, String text) {
        notes.put(key, text);
    }

    public synchronized Map<String, String> notes() {
        return new LinkedHashMap<>(notes);
    }

    /** Median of the samples, or NaN when there are none. */
    public synchronized double median(String family, String test, String target, String metric) {
        List<Double> values = samples.get(key(family, test, target, metric));
        if (values == null || values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    public synchronized double sum(String family, String test, String target, String metric) {
        List<Double> values = samples.get(key(family, test, target, metric));
        return values == null ? 0 : values.stream().mapToDouble(Double::doubleValue).sum();
    }

    public synchronized Map<String, List<Double>> all() {
        Map<String, List<Double>> copy = new LinkedHashMap<>();
        samples.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return copy;
    }

    private static String key(String family, String test, String target, String metric) {
        return family + "/" + test + "/" + target + "/" + metric;
    }
}

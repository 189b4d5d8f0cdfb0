package io.towerrelay.admin;

import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Writes the Prometheus text exposition format (version 0.0.4). */
final class PrometheusText {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(4096);

    PrometheusText counter(String name, String help, long value) {
        header(name, help, "counter");
        out.append(name).append(' ').append(value).append('\n');
        return this;
    }

    PrometheusText gauge(String name, String help, double value) {
        header(name, help, "gauge");
        out.append(name).append(' ').append(number(value)).append('\n');
        return this;
    }

    /** One counter family with a single label, e.g. {@code requests_total{class="2xx"}}. */
    PrometheusText counters(String name, String help, String label, Map<String, LongAdder> values) {
        header(name, help, "counter");
        values.forEach((key, adder) -> out.append(name).append('{').append(label).append("=\"").append(escape(key))
                .append("\"} ").append(adder.sum()).append('\n'));
        return this;
    }

    /** One series per upstream node, labelled {@code node="host:port"}. */
    PrometheusText perNode(String name, String type, String help, java.util.List<UpstreamNodeStatus> nodes,
            java.util.function.ToLongFunction<UpstreamNodeStatus> value) {
        header(name, help, type);
        for (UpstreamNodeStatus node : nodes) {
            out.append(name).append("{node=\"").append(escape(node.node())).append("\"} ")
                    .append(value.applyAsLong(node)).append('\n');
        }
        return this;
    }

    PrometheusText histogram(String name, String help, Histogram histogram) {
        histogram.writeTo(out, name, help);
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void header(String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static String number(double value) {
        if (value == Math.rint(value) && !Double.isInfinite(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}

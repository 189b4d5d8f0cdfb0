package io.towerrelay.admin;

import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.towerrelay.common.RelayVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The process and JVM figures of {@code /metrics} ({@code process_*}: start time, CPU, open and max file
 * descriptors, resident memory; {@code jvm_*}: heap and pools, GC, threads, classes, buffers) from the
 * Prometheus Java client's JVM instrumentation, plus {@code towerrelay_build_info{version}}. Rendered in the
 * same text format after the relay's own metrics, which use other names.
 *
 * <p>One registry per process, made on first use: these figures describe the process, not a listener, and
 * the JVM instrumentation adds a GC notification listener each time it is registered.
 */
final class RuntimeMetrics {
    private static final class Holder {
        static final RuntimeMetrics SHARED = new RuntimeMetrics(RelayVersion.current());
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.builder()
            .setIncludeCreatedTimestamps(false)
            .build();

    RuntimeMetrics(String version) {
        JvmMetrics.builder().register(registry);
        Info.builder()
                .name("towerrelay_build_info")
                .help("The running tower-relay's version; the value is always 1.")
                .labelNames("version")
                .register(registry)
                .setLabelValues(version);
    }

    static RuntimeMetrics shared() {
        return Holder.SHARED;
    }

    /** The current figures in Prometheus text format 0.0.4. */
    String render() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}

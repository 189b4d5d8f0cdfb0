package io.towerrelay.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The latency histogram as a Prometheus server reads it from /metrics. */
class HistogramTest {

    private static PrometheusExposition scrape(Histogram histogram) {
        StringBuilder out = new StringBuilder();
        histogram.writeTo(out, "t_seconds", "A test.");
        return PrometheusExposition.parse(out.toString());
    }

    @Test
    void observationsLandInCumulativeBucketsEndingAtTheCount() {
        Histogram histogram = new Histogram(0.01, 0.1, 1);
        for (double seconds : new double[] {0.001, 0.01, 0.05, 0.5, 0.5, 7}) {
            histogram.observe(seconds);
        }
        PrometheusExposition e = scrape(histogram);
        assertThat(e.value("t_seconds_bucket", Map.of("le", "0.01"))).isEqualTo(2); // a bound is inclusive
        assertThat(e.value("t_seconds_bucket", Map.of("le", "0.1"))).isEqualTo(3);
        assertThat(e.value("t_seconds_bucket", Map.of("le", "1"))).isEqualTo(5);
        assertThat(e.value("t_seconds_bucket", Map.of("le", "+Inf"))).isEqualTo(6);
        assertThat(e.value("t_seconds_count", Map.of())).isEqualTo(6);
        assertThat(e.value("t_seconds_sum", Map.of())).isCloseTo(8.061, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void scrapesDuringObservationsStayConsistent() throws Exception {
        Histogram histogram = new Histogram(0.001, 0.01);
        Thread[] writers = new Thread[2];
        for (int t = 0; t < writers.length; t++) {
            writers[t] = new Thread(() -> {
                for (int i = 0; i < 200_000; i++) {
                    histogram.observe((i % 3) * 0.005);
                }
            });
            writers[t].start();
        }
        for (int i = 0; i < 200; i++) {
            PrometheusExposition e = scrape(histogram);
            double low = e.value("t_seconds_bucket", Map.of("le", "0.001"));
            double mid = e.value("t_seconds_bucket", Map.of("le", "0.01"));
            double inf = e.value("t_seconds_bucket", Map.of("le", "+Inf"));
            assertThat(low).isLessThanOrEqualTo(mid);
            assertThat(mid).isLessThanOrEqualTo(inf);
            assertThat(e.value("t_seconds_count", Map.of())).isEqualTo(inf);
        }
        for (Thread w : writers) {
            w.join();
        }
        assertThat(scrape(histogram).value("t_seconds_count", Map.of())).isEqualTo(400_000);
    }
}

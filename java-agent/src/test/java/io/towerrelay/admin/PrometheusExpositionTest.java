package io.towerrelay.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checker AdminMetricsIT runs on a scrape refuses what a Prometheus server would refuse or misread. */
class PrometheusExpositionTest {

    private static final String GOOD = """
            # HELP a_total Things.
            # TYPE a_total counter
            a_total{kind="x"} 3
            a_total{kind="y\\"z"} 4
            # TYPE lat histogram
            lat_bucket{le="0.1"} 1
            lat_bucket{le="+Inf"} 2
            lat_sum 0.3
            lat_count 2
            # TYPE gc summary
            gc_count{gc="young"} 2
            gc_sum{gc="young"} 0.02
            # TYPE up gauge
            up 1.0E9
            """;

    @Test
    void aWellFormedScrapeIsRead() {
        PrometheusExposition scrape = PrometheusExposition.parse(GOOD);
        assertThat(scrape.types()).containsExactly(Map.entry("a_total", "counter"), Map.entry("lat", "histogram"),
                Map.entry("gc", "summary"), Map.entry("up", "gauge"));
        assertThat(scrape.value("a_total", Map.of("kind", "y\\\"z"))).isEqualTo(4);
        assertThat(scrape.value("lat_bucket", Map.of("le", "+Inf"))).isEqualTo(2);
        assertThat(scrape.value("up", Map.of())).isEqualTo(1e9);
    }

    @Test
    void aFamilyDeclaredTwiceIsRefused() {
        assertThatThrownBy(() -> PrometheusExposition.parse(GOOD + "# TYPE a_total counter\n"))
                .hasMessageContaining("a_total continues after other families");
        assertThatThrownBy(() -> PrometheusExposition.parse("# TYPE up gauge\n# TYPE up gauge\nup 1\n"))
                .hasMessageContaining("second TYPE for up");
    }

    @Test
    void aSampleWithoutItsTypeOrOutsideItsBlockIsRefused() {
        assertThatThrownBy(() -> PrometheusExposition.parse(GOOD + "down 0\n"))
                .hasMessageContaining("down has no TYPE before it");
        assertThatThrownBy(() -> PrometheusExposition.parse(GOOD + "a_total{kind=\"z\"} 1\n"))
                .hasMessageContaining("outside its family a_total's block");
    }

    @Test
    void aSeriesTwiceOrANameTwoFamiliesClaimIsRefused() {
        assertThatThrownBy(() -> PrometheusExposition.parse("# TYPE up gauge\nup 1\nup 2\n"))
                .hasMessageContaining("series up{} appears twice");
        assertThatThrownBy(() -> PrometheusExposition.parse("# TYPE gc summary\n# TYPE gc_count gauge\ngc_count 1\n"))
                .hasMessageContaining("sample name gc_count is also family gc's");
    }

    @Test
    void malformedLinesAreRefused() {
        assertThatThrownBy(() -> PrometheusExposition.parse("# TYPE up gauge\nup one\n")).hasMessageContaining("bad value");
        assertThatThrownBy(() -> PrometheusExposition.parse("# TYPE up gauge\nup{a=b} 1\n"))
                .hasMessageContaining("bad label list");
        assertThatThrownBy(() -> PrometheusExposition.parse("# TYPE up meter\n")).hasMessageContaining("unknown type");
    }
}

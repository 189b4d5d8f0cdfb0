package io.towerrelay.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void percentilesAreExactToTheMicrosecond() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 1; i <= 100; i++) {
            h.record(i);
        }
        assertThat(h.percentile(0.50)).isEqualTo(50);
        assertThat(h.percentile(0.99)).isEqualTo(99);
        assertThat(h.count()).isEqualTo(100);
    }

    @Test
    void emptyHasNoPercentileAndHugeValuesLandInTheLastBucket() {
        LatencyHistogram h = new LatencyHistogram();
        assertThat(h.percentile(0.5)).isEqualTo(-1);
        h.record(5_000_000);
        assertThat(h.percentile(0.99)).isEqualTo(1_000_000);
    }
}

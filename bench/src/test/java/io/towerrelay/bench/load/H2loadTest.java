package io.towerrelay.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class H2loadTest {

    /** The report of Debian's h2load (nghttp2 1.52), trimmed to the lines read. */
    private static final String REPORT = """
            starting benchmark...
            spawning thread #0: 4 total client(s). Timing-based test with 1s of warm-up time and 3s of main duration for measurements.
            finished in 3.00s, 6816.33 req/s, 2.56MB/s
            requests: 20449 total, 20513 started, 20449 done, 20440 succeeded, 9 failed, 0 errored, 0 timeout
            status codes: 20430 2xx, 0 3xx, 4 4xx, 6 5xx
            traffic: 7.67MB (8045713) total, 180.37KB (184699) headers (space savings 93.56%), 7.23MB (7585240) data
                                 min         max         mean         sd        +/- sd
            time for request:      612us     45.21ms      9.27ms      4.10ms    71.23%
            time for connect:     3.01ms     10.39ms      6.45ms      2.86ms    50.00%
            """;

    @Test
    void readsRateMeanTimeFailuresAndStatusCodes() throws IOException {
        H2load.Sample s = H2load.parse(REPORT);
        assertThat(s.requestsPerSecond()).isEqualTo(6816.33);
        assertThat(s.meanMicros()).isEqualTo(9270.0);
        assertThat(s.failed()).isEqualTo(9);
        assertThat(s.non2xx()).isEqualTo(10);
    }

    @Test
    void anUnreadableReportIsAnError() {
        assertThatThrownBy(() -> H2load.parse("h2load: connection refused")).isInstanceOf(IOException.class)
                .hasMessageContaining("no results in h2load output");
    }
}

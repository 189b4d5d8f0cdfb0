package io.towerrelay.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class WrkTest {

    private static final String REPORT = """
            Running 3s test @ http://127.0.0.1:40001/api/v2/ping/
              2 threads and 64 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     1.21ms    2.10ms  41.00ms   93.12%
                Req/Sec    20.11k     3.01k   25.00k    70.00%
              Latency Distribution
                 50%  635.00us
                 75%    1.20ms
                 90%    2.01ms
                 99%    1.55s
              120345 requests in 3.00s, 58.00MB read
              Socket errors: connect 1, read 2, write 0, timeout 3
              Non-2xx or 3xx responses: 4
            Requests/sec:  40115.23
            Transfer/sec:     19.33MB
            """;

    @Test
    void readsRateRequestsLatencyInEveryUnitAndErrors() throws IOException {
        HttpSample s = Wrk.parse(REPORT);
        assertThat(s.requestsPerSecond()).isEqualTo(40115.23);
        assertThat(s.requests()).isEqualTo(120345);
        assertThat(s.p50Micros()).isEqualTo(635.0);
        assertThat(s.p99Micros()).isEqualTo(1_550_000.0);
        assertThat(s.errors()).isEqualTo(10);
    }

    @Test
    void cleanRunHasNoErrors() throws IOException {
        HttpSample s = Wrk.parse(REPORT.replaceAll("(?m)^.*(Socket errors|Non-2xx).*\\n", ""));
        assertThat(s.errors()).isZero();
    }

    @Test
    void outputWithoutRateIsAnError() {
        assertThatThrownBy(() -> Wrk.parse("unable to connect to 127.0.0.1:1 Connection refused"))
                .isInstanceOf(IOException.class).hasMessageContaining("Connection refused");
    }
}

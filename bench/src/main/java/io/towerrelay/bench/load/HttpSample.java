package io.towerrelay.bench.load;

/**
 * One wrk run: requests per second, the requests completed in all (what per-request costs divide by), latency
 * percentiles in microseconds, and what went wrong: socket errors (connect, read, write), requests over wrk's
 * timeout, and answers that were not 2xx/3xx.
 */
public record HttpSample(double requestsPerSecond, long requests, double p50Micros, double p99Micros, long socketErrors,
                         long timeouts, long non2xx) {

    public long errors() {
        return socketErrors + timeouts + non2xx;
    }
}

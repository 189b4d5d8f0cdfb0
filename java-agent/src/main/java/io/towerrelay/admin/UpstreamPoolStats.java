package io.towerrelay.admin;

/**
 * The upstream keep-alive pool at one moment: connections handed to exchanges, lease requests waiting for one,
 * idle pooled connections, and the pool's size. A leased count that never drops back to 0 when the relay is idle
 * is a leaked lease; pending above 0 with nothing leased is a stalled pool.
 */
public record UpstreamPoolStats(int leased, int pending, int available, int max) {
}

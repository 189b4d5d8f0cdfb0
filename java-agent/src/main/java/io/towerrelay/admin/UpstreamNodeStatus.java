package io.towerrelay.admin;

import java.time.Instant;

/**
 * One upstream node as /healthz and /metrics show it.
 *
 * @param node        host:port, the {@code node} label
 * @param url         the node's URL as configured
 * @param state       {@code up}, {@code down}, {@code draining} or {@code down (draining)}
 * @param up          passes its health checks (and was not found unreachable since)
 * @param draining    takes no new requests or tunnels (config {@code drain: true})
 * @param reason      why it is in its state
 * @param since       when it entered its state
 * @param lastCheck   the last active health check, or null before the first
 * @param inFlight    HTTP requests on it now
 * @param openTunnels WebSocket tunnels (and handshakes) on it now
 * @param requests    HTTP requests sent to it (retries included)
 * @param errors      requests that failed on it before an answer
 * @param retries     requests that failed on it and were sent again
 * @param handshakes  WebSocket handshakes sent to it
 */
public record UpstreamNodeStatus(String node, String url, String state, boolean up, boolean draining, String reason,
        Instant since, LastCheck lastCheck, long inFlight, long openTunnels, long requests, long errors, long retries, long handshakes) {

    /** An active health check: when, whether it passed, what it saw, how long it took. */
    public record LastCheck(Instant at, boolean passed, String detail, long millis) {}

    /** Takes new requests and tunnels. */
    public boolean available() {
        return up && !draining;
    }
}

package io.towerrelay.tunnel;

import java.time.Instant;

/**
 * One WebSocket handshake as the listener sees it.
 *
 * @param id       short id shared by the log lines of this tunnel
 * @param peer     the client's address (host:port of the TCP peer)
 * @param upstream upstream host:port
 * @param path     request path and query as forwarded
 * @param started  when the handshake arrived
 */
public record TunnelInfo(String id, String peer, String upstream, String path, Instant started) {
}

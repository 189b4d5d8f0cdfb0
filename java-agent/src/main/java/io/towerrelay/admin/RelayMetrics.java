package io.towerrelay.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * What the relay counts, fed from the I/O threads (lock-free) and rendered for {@code GET /metrics}.
 * Metric names carry the {@code towerrelay_} prefix; byte counters are body bytes as relayed.
 */
public final class RelayMetrics {
    /** Latency buckets in seconds, from a cached API call to a slow job-output page. */
    private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    /** Tunnel lifetimes in seconds: refused-at-once up to a browser tab left open all day. */
    private static final double[] TUNNEL_BUCKETS = {1, 10, 60, 300, 900, 3600, 14400, 86400};
    /** Label values of towerrelay_http_requests_by_protocol_total, as NGINX's $server_protocol writes them. */
    public static final String[] PROTOCOLS = {"HTTP/1.0", "HTTP/1.1", "HTTP/2.0"};
    public static final String[] UPSTREAM_ERROR_KINDS = {"connect_refused", "connect_timeout", "response_timeout",
        "reset", "tls", "dns", "no_node", "other"};

    private final Map<String, LongAdder> requestsByClass = new LinkedHashMap<>();
    /** The same counters by status class: [0] is 1xx ... [4] is 5xx. */
    private final LongAdder[] requestsByClassIndex = new LongAdder[5];
    /** By the protocol the client spoke: HTTP/1.0, HTTP/1.1 or HTTP/2 (h2 by ALPN). */
    private final Map<String, LongAdder> requestsByProtocol = new LinkedHashMap<>();
    /** The same counters in the order of {@link #PROTOCOLS}, found without hashing on every request. */
    private final LongAdder[] requestsByProtocolIndex = new LongAdder[PROTOCOLS.length];
    private final Map<String, LongAdder> upstreamErrors = new LinkedHashMap<>();
    private final LongAdder upstreamRetries = new LongAdder();
    private final AtomicLong activeConnections = new AtomicLong();
    private final LongAdder connectionsTotal = new LongAdder();
    private final LongAdder connectionsRejected = new LongAdder();
    private final LongAdder bytesFromClients = new LongAdder();
    private final LongAdder bytesToClients = new LongAdder();
    private final Histogram latency = new Histogram(LATENCY_BUCKETS);

    private final AtomicLong activeTunnels = new AtomicLong();
    private final LongAdder tunnelsOpened = new LongAdder();
    private final LongAdder tunnelsRefused = new LongAdder();
    private final LongAdder tunnelBytesToUpstream = new LongAdder();
    private final LongAdder tunnelBytesToClient = new LongAdder();
    private final Histogram tunnelDuration = new Histogram(TUNNEL_BUCKETS);
    /** Config reloads (SIGHUP): ok (applied, maybe partly) or invalid (the file was refused, nothing changed). */
    private final Map<String, LongAdder> configReloads = new LinkedHashMap<>();
    private volatile Supplier<List<UpstreamNodeStatus>> upstreamNodes = List::of;
    private volatile Supplier<UpstreamPoolStats> upstreamPool = () -> new UpstreamPoolStats(0, 0, 0, 0);

    public RelayMetrics() {
        for (int i = 0; i < requestsByClassIndex.length; i++) {
            requestsByClassIndex[i] = new LongAdder();
            requestsByClass.put((i + 1) + "xx", requestsByClassIndex[i]);
        }
        for (int i = 0; i < PROTOCOLS.length; i++) {
            requestsByProtocolIndex[i] = new LongAdder();
            requestsByProtocol.put(PROTOCOLS[i], requestsByProtocolIndex[i]);
        }
        for (String kind : UPSTREAM_ERROR_KINDS) {
            upstreamErrors.put(kind, new LongAdder());
        }
        configReloads.put("ok", new LongAdder());
        configReloads.put("invalid", new LongAdder());
    }

    public void connectionOpened() {
        activeConnections.incrementAndGet();
        connectionsTotal.increment();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    public void connectionRejected() {
        connectionsRejected.increment();
    }

    public long activeConnections() {
        return activeConnections.get();
    }

    /** As {@link #requestCompleted(int, long, long, long)}, counted also under the client's protocol (one of {@link #PROTOCOLS}). */
    public void requestCompleted(String protocol, int status, long nanos, long bytesIn, long bytesOut) {
        for (int i = 0; i < PROTOCOLS.length; i++) {
            if (PROTOCOLS[i].equals(protocol)) {
                requestsByProtocolIndex[i].increment();
                break;
            }
        }
        requestCompleted(status, nanos, bytesIn, bytesOut);
    }

    /** One finished HTTP exchange (including refusals and 502/504 the relay made itself). */
    public void requestCompleted(int status, long nanos, long bytesIn, long bytesOut) {
        int statusClass = status / 100;
        if (statusClass >= 1 && statusClass <= 5) {
            requestsByClassIndex[statusClass - 1].increment(); // no key string made per request
        }
        latency.observe(nanos / 1e9);
        bytesFromClients.add(bytesIn);
        bytesToClients.add(bytesOut);
    }

    /** {@code kind} is one of {@link #UPSTREAM_ERROR_KINDS}. */
    public void upstreamError(String kind) {
        LongAdder adder = upstreamErrors.get(kind);
        (adder != null ? adder : upstreamErrors.get("other")).increment();
    }

    /** A config reload: {@code ok} when applied, {@code invalid} when the file was refused. */
    public void configReloaded(boolean ok) {
        configReloads.get(ok ? "ok" : "invalid").increment();
    }

    public long configReloads(boolean ok) {
        return configReloads.get(ok ? "ok" : "invalid").sum();
    }

    /** A request sent again on a new upstream connection after the first one failed (see RetryPolicy). */
    public void upstreamRetry() {
        upstreamRetries.increment();
    }

    public void tunnelOpened() {
        activeTunnels.incrementAndGet();
        tunnelsOpened.increment();
    }

    public void tunnelRefused() {
        tunnelsRefused.increment();
    }

    public void tunnelClosed(long nanos, long bytesToUpstream, long bytesToClient) {
        activeTunnels.decrementAndGet();
        tunnelDuration.observe(nanos / 1e9);
        tunnelBytesToUpstream.add(bytesToUpstream);
        tunnelBytesToClient.add(bytesToClient);
    }

    /** Where the upstream pool's gauges come from (the pool is created after the metrics). */
    public void upstreamPool(Supplier<UpstreamPoolStats> source) {
        this.upstreamPool = source;
    }

    /** Where the per-node series come from (the nodes are created after the metrics). */
    public void upstreamNodes(Supplier<List<UpstreamNodeStatus>> source) {
        this.upstreamNodes = source;
    }

    public List<UpstreamNodeStatus> upstreamNodes() {
        return upstreamNodes.get();
    }

    public UpstreamPoolStats upstreamPool() {
        return upstreamPool.get();
    }

    public long activeTunnels() {
        return activeTunnels.get();
    }

    /** The whole registry in Prometheus text format. */
    public String render(double uptimeSeconds) {
        UpstreamPoolStats pool = upstreamPool.get();
        List<UpstreamNodeStatus> nodes = upstreamNodes.get();
        return new PrometheusText()
                .gauge("towerrelay_uptime_seconds", "Seconds since the relay started.", uptimeSeconds)
                .counters("towerrelay_http_requests_total", "HTTP requests answered, by status class.", "class",
                        requestsByClass)
                .counters("towerrelay_http_requests_by_protocol_total",
                        "HTTP requests answered, by the protocol the client spoke (HTTP/2.0: h2 by ALPN on a TLS listener).",
                        "protocol", requestsByProtocol)
                .histogram("towerrelay_http_request_duration_seconds",
                        "Time from request head to the last response byte.", latency)
                .gauge("towerrelay_connections_active", "Client connections open now.", activeConnections.get())
                .counter("towerrelay_connections_total", "Client connections accepted.", connectionsTotal.sum())
                .counter("towerrelay_connections_rejected_total",
                        "Client connections closed at once because limits.max-connections was reached.",
                        connectionsRejected.sum())
                .counter("towerrelay_http_received_bytes_total", "HTTP body bytes received from clients.",
                        bytesFromClients.sum())
                .counter("towerrelay_http_sent_bytes_total", "HTTP body bytes sent to clients.", bytesToClients.sum())
                .counters("towerrelay_upstream_errors_total", "Upstream failures, by kind.", "kind", upstreamErrors)
                .counter("towerrelay_upstream_retries_total",
                        "Requests sent again on a new upstream connection after the first failed before any answer.",
                        upstreamRetries.sum())
                .perNode("towerrelay_upstream_node_up", "gauge",
                        "1 when the node passes its health checks, else 0.", nodes, n -> n.up() ? 1 : 0)
                .perNode("towerrelay_upstream_node_draining", "gauge",
                        "1 when the node is set to drain (no new requests or tunnels).", nodes, n -> n.draining() ? 1 : 0)
                .perNode("towerrelay_upstream_node_requests_in_flight", "gauge", "HTTP requests on the node now.", nodes,
                        UpstreamNodeStatus::inFlight)
                .perNode("towerrelay_upstream_node_requests_total", "counter",
                        "HTTP requests sent to the node, retries included.", nodes, UpstreamNodeStatus::requests)
                .perNode("towerrelay_upstream_node_errors_total", "counter",
                        "Requests and WebSocket handshakes that failed on the node before an answer.", nodes,
                        UpstreamNodeStatus::errors)
                .perNode("towerrelay_upstream_node_retries_total", "counter",
                        "Requests that failed on the node and were sent again.", nodes, UpstreamNodeStatus::retries)
                .perNode("towerrelay_upstream_node_websocket_handshakes_total", "counter",
                        "WebSocket handshakes sent to the node.", nodes, UpstreamNodeStatus::handshakes)
                .perNode("towerrelay_upstream_node_websocket_tunnels_active", "gauge",
                        "WebSocket tunnels (and handshakes under way) on the node now.", nodes, UpstreamNodeStatus::openTunnels)
                .gauge("towerrelay_upstream_pool_leased", "Upstream connections in use by an exchange now.", pool.leased())
                .gauge("towerrelay_upstream_pool_pending", "Exchanges waiting for an upstream connection now.", pool.pending())
                .gauge("towerrelay_upstream_pool_available", "Idle keep-alive upstream connections now.", pool.available())
                .gauge("towerrelay_upstream_pool_max", "upstream.pool-size.", pool.max())
                .gauge("towerrelay_websocket_tunnels_active", "WebSocket tunnels open now.", activeTunnels.get())
                .counter("towerrelay_websocket_tunnels_opened_total", "WebSocket tunnels opened.", tunnelsOpened.sum())
                .counter("towerrelay_websocket_tunnels_refused_total",
                        "WebSocket upgrades refused (Origin, blocked path, upstream did not answer 101).",
                        tunnelsRefused.sum())
                .counter("towerrelay_websocket_sent_upstream_bytes_total", "Bytes relayed client to upstream in tunnels.",
                        tunnelBytesToUpstream.sum())
                .counter("towerrelay_websocket_sent_client_bytes_total", "Bytes relayed upstream to client in tunnels.",
                        tunnelBytesToClient.sum())
                .histogram("towerrelay_websocket_tunnel_duration_seconds", "How long closed tunnels were open.",
                        tunnelDuration)
                .counters("towerrelay_config_reloads_total",
                        "Config reloads (SIGHUP): ok when applied, invalid when the file was refused and the old config kept.",
                        "result", configReloads)
                .toString();
    }
}

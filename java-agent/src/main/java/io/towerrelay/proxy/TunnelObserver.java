package io.towerrelay.proxy;

import io.towerrelay.logging.AccessLog;
import io.towerrelay.admin.RelayMetrics;
import io.towerrelay.tunnel.TunnelInfo;
import io.towerrelay.tunnel.TunnelListener;
import io.towerrelay.tunnel.TunnelStats;
import java.time.Duration;

/** Feeds the tunnel gauges (the tunnel logs its own open/close diagnostics) and counters and writes one access-log line per tunnel (at close or refusal). */
final class TunnelObserver implements TunnelListener {
    private final RelayMetrics metrics;
    private final AccessLog accessLog;

    TunnelObserver(RelayMetrics metrics, AccessLog accessLog) {
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    @Override
    public void opened(TunnelInfo info) {
        metrics.tunnelOpened();
    }

    @Override
    public void refused(TunnelInfo info, int status, String reason) {
        metrics.tunnelRefused();
        metrics.requestCompleted("HTTP/1.1", status, Duration.between(info.started(), java.time.Instant.now()).toNanos(), 0, 0);
        accessLog.logTunnel(info.started(), host(info.peer()), info.path(), info.upstream(), status, 0, 0,
                Duration.between(info.started(), java.time.Instant.now()).toNanos(), reason);
    }

    @Override
    public void closed(TunnelInfo info, TunnelStats stats) {
        long nanos = stats.duration().toNanos();
        metrics.tunnelClosed(nanos, stats.bytesFromClient(), stats.bytesToClient());
        metrics.requestCompleted("HTTP/1.1", 101, nanos, 0, 0); // WebSockets: always HTTP/1.1 (no RFC 8441)
        accessLog.logTunnel(info.started(), host(info.peer()), info.path(), info.upstream(), 101, stats.bytesFromClient(),
                stats.bytesToClient(), nanos, "closed by " + stats.closedBy());
    }

    /** TunnelInfo's peer is a socket address string ("/127.0.0.1:5555"); the log wants the address alone. */
    private static String host(String peer) {
        String p = peer.startsWith("/") ? peer.substring(1) : peer;
        int slash = p.indexOf('/');
        if (slash >= 0) {
            p = p.substring(slash + 1);
        }
        int colon = p.lastIndexOf(':');
        return colon > 0 ? p.substring(0, colon) : p;
    }
}

package io.towerrelay.edge;

import io.towerrelay.admin.RelayMetrics;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.IOSessionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts client connections and answers new ones beyond limits.max-connections with a 503 (HttpCore5 has no such
 * limit): {@link OverLimitAnswer} takes the session over from HttpCore5's HTTP handler, so the request is never
 * parsed and nothing reaches the upstream.
 * Passes every event on to {@code next} (the WebSocket tunnels' session registry). This and the tunnel package
 * are the only users of HttpCore5's {@code @Internal} session listener.
 */
public final class ConnectionGate implements IOSessionListener {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGate.class);

    private final RelayMetrics metrics;
    private final int maxConnections;
    private final IOSessionListener next;
    private final HeadDeadline headDeadline;
    /** Sessions closed at connect; their disconnect must not be counted. */
    private final Set<String> rejected = ConcurrentHashMap.newKeySet();

    public ConnectionGate(RelayMetrics metrics, int maxConnections, HeadDeadline headDeadline, IOSessionListener next) {
        this.headDeadline = headDeadline;
        this.metrics = metrics;
        this.maxConnections = maxConnections;
        this.next = next;
    }

    @Override
    public void connected(IOSession session) {
        if (metrics.activeConnections() >= maxConnections) {
            rejected.add(session.getId());
            metrics.connectionRejected();
            LOG.warn("answering 503 to {} and closing: limits.max-connections ({}) reached", session.getRemoteAddress(), maxConnections);
            OverLimitAnswer answer = new OverLimitAnswer(maxConnections);
            session.upgrade(answer);
            answer.start(session);
            return;
        }
        metrics.connectionOpened();
        headDeadline.connected(session);
        if (next != null) {
            next.connected(session);
        }
    }

    @Override
    public void startTls(IOSession session) {
        if (next != null) {
            next.startTls(session);
        }
    }

    @Override
    public void inputReady(IOSession session) {
        headDeadline.inputReady(session);
        if (next != null) {
            next.inputReady(session);
        }
    }

    @Override
    public void outputReady(IOSession session) {
        if (next != null) {
            next.outputReady(session);
        }
    }

    @Override
    public void timeout(IOSession session) {
        if (next != null) {
            next.timeout(session);
        }
    }

    @Override
    public void exception(IOSession session, Exception ex) {
        if (next != null) {
            next.exception(session, ex);
        }
    }

    @Override
    public void disconnected(IOSession session) {
        if (rejected.remove(session.getId())) {
            // Not counted, but listeners further down may have seen its TLS start: let them forget it.
            if (next != null) {
                next.disconnected(session);
            }
            return;
        }
        metrics.connectionClosed();
        headDeadline.disconnected(session);
        if (next != null) {
            next.disconnected(session);
        }
    }
}

package io.towerrelay.edge;

import io.towerrelay.admin.RelayMetrics;
import io.towerrelay.config.LimitsConfig;
import io.towerrelay.reactor.SessionLifecycleListener;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts client connections and answers new ones beyond limits.max-connections with a 503 (HttpCore5 has no such
 * limit): {@link OverLimitAnswer} takes the session over from HttpCore5's HTTP handler, so the request is never
 * parsed and nothing reaches the upstream.
 * Passes every event on to {@code next} (the WebSocket tunnels' session registry). This and the tunnel package
 * are the only users of HttpCore5's {@code @Internal} session listener.
 *
 * <p>With the PROXY protocol on, a plain connection is counted, limited and passed on only once its header is in
 * (HttpCore5 reports plain connections at accept, TLS ones after the handshake, which comes after the header), so
 * the limit's log line names the client, and connections refused for their header are never counted.
 */
public final class ConnectionGate implements SessionLifecycleListener {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGate.class);

    private final RelayMetrics metrics;
    /** Replaced by a reload; read once per new connection. */
    private volatile LimitsConfig limits;
    /** The reactor gives every accepted connection this idle timeout; a reload to another one sets it per connection. */
    private final Timeout startIdleTimeout;
    private final SessionLifecycleListener next;
    private final HeadDeadline headDeadline;
    private final ProxyProtocol proxyProtocol;
    /**
     * Sessions counted as open. Only their disconnect is counted: not those answered 503 at connect, nor those that
     * never got that far (refused for their PROXY header, or a TLS handshake that failed: HttpCore5 reports a TLS
     * session as connected only after its handshake, but every session's disconnect).
     */
    private final Set<String> counted = ConcurrentHashMap.newKeySet();

    /** @param proxyProtocol the listener's PROXY protocol handling, or null when it is off */
    public ConnectionGate(RelayMetrics metrics, LimitsConfig limits, HeadDeadline headDeadline, ProxyProtocol proxyProtocol,
            SessionLifecycleListener next) {
        this.headDeadline = headDeadline;
        this.proxyProtocol = proxyProtocol;
        this.metrics = metrics;
        this.limits = limits;
        this.startIdleTimeout = limits.clientIdleTimeout();
        this.next = next;
    }

    /** A reload: max-connections and client-idle-timeout for connections accepted from now on. */
    public void limits(LimitsConfig next) {
        this.limits = next;
    }

    @Override
    public void connected(IOSession session) {
        if (proxyProtocol != null && proxyProtocol.awaitHeader(session, () -> admit(session))) {
            return;
        }
        admit(session);
    }

    private void admit(IOSession session) {
        LimitsConfig limits = this.limits;
        int maxConnections = limits.maxConnections();
        if (metrics.activeConnections() >= maxConnections) {
            metrics.connectionRejected();
            LOG.warn("answering 503 to {} and closing: limits.max-connections ({}) reached",
                    proxyProtocol == null ? session.getRemoteAddress() : proxyProtocol.describe(session), maxConnections);
            OverLimitAnswer answer = new OverLimitAnswer(maxConnections);
            session.upgrade(answer);
            answer.start(session);
            return;
        }
        if (limits.clientIdleTimeout().toMilliseconds() != startIdleTimeout.toMilliseconds()) {
            session.setSocketTimeout(limits.clientIdleTimeout());
        }
        counted.add(session.getId());
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
        if (counted.remove(session.getId())) {
            metrics.connectionClosed();
        }
        headDeadline.disconnected(session);
        if (proxyProtocol != null) {
            proxyProtocol.disconnected(session);
        }
        // Also when not counted: listeners further down may have seen its TLS start; let them forget it.
        if (next != null) {
            next.disconnected(session);
        }
    }
}

package io.towerrelay.tunnel;

import io.towerrelay.reactor.SessionEndpoint;
import io.towerrelay.reactor.SessionLifecycleListener;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.core5.function.Decorator;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;

/**
 * Finds the client's sessions for a WebSocket handshake. The handshake's endpoint is its connection's
 * {@link SessionEndpoint}, which holds the channel the HTTP/1.1 handler was made for. On a plain connection that
 * channel is all the tunnel needs, and nothing is recorded: accepting a connection costs no shared map.
 *
 * <p>Under TLS the channel leads to the TLS layer with the relay's wrappers around it. The tunnel reads and writes
 * through HttpCore5's {@code SSLIOSession} itself, which the session listener is given when TLS starts, and needs
 * the TCP session underneath for two things: the idle timeout (the TLS layer applies socket timeouts only during
 * its handshake) and the HTTP/1.1 handler being replaced. The session decorator sees that TCP session first, when
 * the connection is accepted; on a TLS listener it records it by session id, which every view of the connection
 * shares.
 */
final class SessionRegistry implements SessionLifecycleListener, Decorator<IOSession> {

    /** The sessions of one client connection: the TCP session, and the one the tunnel reads and writes through. */
    record ClientSession(IOSession transport, IOSession protocol) {
    }

    /** TLS connections only, by session id; {@code protocol} is null until TLS starts. */
    private final Map<String, ClientSession> tlsById = new ConcurrentHashMap<>();

    /** Records the TCP session under a TLS layer yet to start; changes nothing. Only a TLS listener's sessions. */
    @Override
    public IOSession decorate(IOSession session) {
        tlsById.putIfAbsent(session.getId(), new ClientSession(session, null));
        return session;
    }

    ClientSession lookup(EndpointDetails endpoint) {
        if (!(endpoint instanceof SessionEndpoint connection)) {
            return null;
        }
        ClientSession recorded = tlsById.get(connection.sessionId());
        if (recorded != null && recorded.protocol() != null) {
            return recorded;
        }
        IOSession channel = connection.session();
        if (channel instanceof ProtocolIOSession layered && layered.getTlsDetails() != null) {
            return null; // under TLS, but TLS started unseen: no session the tunnel could read through
        }
        return new ClientSession(channel, channel);
    }

    int size() {
        return tlsById.size();
    }

    @Override
    public void connected(IOSession session) {
        // A plain connection is found through its SessionEndpoint; a TLS one was recorded by decorate.
    }

    @Override
    public void startTls(IOSession session) {
        tlsById.computeIfPresent(session.getId(), (id, known) -> new ClientSession(known.transport(), session));
    }

    @Override
    public void disconnected(IOSession session) {
        if (!tlsById.isEmpty()) {
            tlsById.remove(session.getId());
        }
    }
}

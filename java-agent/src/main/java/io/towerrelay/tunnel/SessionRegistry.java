package io.towerrelay.tunnel;

import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.core5.function.Decorator;
import org.apache.hc.core5.http.EndpointDetails;
import io.towerrelay.reactor.SessionLifecycleListener;
import org.apache.hc.core5.reactor.IOSession;

/**
 * Finds the client's {@link IOSession} for an exchange. HttpCore5 gives an exchange handler its endpoint's
 * addresses but not its session, so the server's session listener records every session under its
 * (local, remote) address pair. The key is stored by session id as well: at {@code disconnected} the socket
 * is closed and its addresses are gone.
 *
 * <p>On a TLS listener the listener only ever sees the TLS layer ({@code SSLIOSession}). The tunnel reads and
 * writes through it, but two things need the TCP session underneath: the idle timeout (the TLS layer applies
 * socket timeouts only during its handshake) and the HTTP/1.1 handler being replaced. The session decorator
 * sees that TCP session first, when the connection is accepted, and records it.
 */
final class SessionRegistry implements SessionLifecycleListener, Decorator<IOSession> {

    record Key(SocketAddress local, SocketAddress remote) {
    }

    /** The sessions of one client connection. */
    record ClientSession(IOSession transport, IOSession protocol) {
    }

    private final Map<Key, ClientSession> byAddress = new ConcurrentHashMap<>();
    private final Map<String, Key> keyById = new ConcurrentHashMap<>();
    private final Map<String, IOSession> transportById = new ConcurrentHashMap<>();

    /** Sees the TCP session before any TLS layer is put on it; changes nothing. */
    @Override
    public IOSession decorate(IOSession session) {
        transportById.putIfAbsent(session.getId(), session);
        return session;
    }

    ClientSession lookup(EndpointDetails endpoint) {
        if (endpoint == null) {
            return null;
        }
        return byAddress.get(new Key(endpoint.getLocalAddress(), endpoint.getRemoteAddress()));
    }

    int size() {
        return byAddress.size();
    }

    private void record(IOSession session) {
        SocketAddress local = session.getLocalAddress();
        SocketAddress remote = session.getRemoteAddress();
        if (local == null || remote == null) {
            return;
        }
        Key key = new Key(local, remote);
        keyById.put(session.getId(), key);
        IOSession transport = transportById.getOrDefault(session.getId(), session);
        byAddress.compute(key, (k, known) -> known == null || !known.transport().getId().equals(session.getId())
                ? new ClientSession(transport, session)
                : new ClientSession(known.transport(), session));
    }

    @Override
    public void connected(IOSession session) {
        record(session);
    }

    @Override
    public void startTls(IOSession session) {
        record(session);
    }

    @Override
    public void disconnected(IOSession session) {
        transportById.remove(session.getId());
        Key key = keyById.remove(session.getId());
        if (key != null) {
            // Only this session's entry: a client that reconnects from the same port gets the same address pair,
            // and its new session may be recorded before this disconnect is seen (the benchmark hit it: 500 "no
            // session" on a fresh handshake after 1,000 sockets closed and reopened).
            byAddress.computeIfPresent(key, (k, known) -> known.transport().getId().equals(session.getId())
                    || known.protocol().getId().equals(session.getId()) ? null : known);
        }
    }
}

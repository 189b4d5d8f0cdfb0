package io.towerrelay.tunnel;

import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.IOSessionListener;

/**
 * Finds the client's {@link IOSession} for an exchange. HttpCore5 gives an exchange handler its endpoint's
 * addresses but not its session, so the server's session listener records every session under its
 * (local, remote) address pair. The key is stored by session id as well: at {@code disconnected} the socket
 * is closed and its addresses are gone.
 *
 * <p>A TLS session is reported twice: first the transport session at accept, then the TLS layer
 * ({@code startTls}, and {@code connected} again after the handshake). The tunnel reads and writes through the
 * TLS layer, but socket timeouts must be set on the transport: the TLS layer only applies them during
 * its handshake.
 */
final class SessionRegistry implements IOSessionListener {

    record Key(SocketAddress local, SocketAddress remote) {
    }

    /** The sessions of one client connection. */
    record ClientSession(IOSession transport, IOSession protocol) {
    }

    private final Map<Key, ClientSession> byAddress = new ConcurrentHashMap<>();
    private final Map<String, Key> keyById = new ConcurrentHashMap<>();

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
        byAddress.compute(key, (k, known) -> known == null || !known.transport().getId().equals(session.getId())
                ? new ClientSession(session, session)
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
        Key key = keyById.remove(session.getId());
        if (key != null) {
            byAddress.remove(key);
        }
    }

    @Override
    public void inputReady(IOSession session) {
    }

    @Override
    public void outputReady(IOSession session) {
    }

    @Override
    public void timeout(IOSession session) {
    }

    @Override
    public void exception(IOSession session, Exception ex) {
    }
}

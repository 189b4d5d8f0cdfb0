package io.towerrelay.edge;

import io.towerrelay.reactor.ForwardingSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * A client session on a PROXY protocol listener (see {@link ProxyProtocol}). Until its connection's header is in,
 * {@link #getHandler()} (which HttpCore5's reactor asks for on every event) answers a gate: input events read the
 * header from the TCP session and reach the real handler only once it is complete, in the same event; the other
 * events pass through. Afterwards it answers the real handler, and this wrapper costs nothing more than a delegation.
 * Everything else is passed through unchanged, the addresses too (they key the connection everywhere).
 * (IOSession and IOEventHandler are {@code @Internal} in HttpCore5; this package and the tunnel's keep all use.)
 */
final class ProxyProtocolSession extends ForwardingSession {
    private final ProxyProtocol.Connection connection;
    private final IOEventHandler gate = new Gate();

    ProxyProtocolSession(IOSession session, ProxyProtocol.Connection connection) {
        super(session);
        this.connection = connection;
    }

    @Override
    public IOEventHandler getHandler() {
        return connection.done() ? session.getHandler() : gate;
    }

    /** The handler while the header is not complete. */
    private final class Gate implements IOEventHandler {
        private IOEventHandler next() {
            return session.getHandler();
        }

        /** A connection refused at accept is closed by its first event, on its I/O thread. */
        private boolean closedIfRefused() {
            if (connection.refused()) {
                connection.transport.close(CloseMode.IMMEDIATE);
                return true;
            }
            return false;
        }

        @Override
        public void connected(IOSession s) throws IOException {
            if (!closedIfRefused()) {
                next().connected(s);
            }
        }

        @Override
        public void inputReady(IOSession s, ByteBuffer src) throws IOException {
            if (connection.readHeader()) {
                next().inputReady(s, src);
            } else {
                closedIfRefused();
            }
        }

        @Override
        public void outputReady(IOSession s) throws IOException {
            if (!closedIfRefused()) {
                next().outputReady(s);
            }
        }

        @Override
        public void timeout(IOSession s, Timeout timeout) throws IOException {
            if (!closedIfRefused()) {
                next().timeout(s, timeout);
            }
        }

        @Override
        public void exception(IOSession s, Exception cause) {
            next().exception(s, cause);
        }

        @Override
        public void disconnected(IOSession s) {
            next().disconnected(s);
        }
    }
}

package io.towerrelay.reactor;

import java.io.IOException;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLException;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * A connection's TLS layer (HttpCore5's {@code SSLIOSession}) that is closed at once when its socket fails (reset by
 * the peer, broken pipe) in one of its events.
 *
 * <p>Why: the reactor answers a failed event with a graceful close, which the TLS layer takes as "send close_notify
 * and wait for the peer's". A reset socket stays readable, each read fails again, and every failed read counts as
 * activity, so the idle timeout never ends it: one reset client connection kept an I/O thread at 100 % CPU for good.
 * A TLS error ({@link SSLException}) keeps the graceful close: the socket works, and the alert that says what failed
 * still reaches the peer.
 */
final class SocketFailureClosingSession extends ForwardingSession {
    private final IOEventHandler handler;

    SocketFailureClosingSession(IOSession tls) {
        super(tls);
        this.handler = new Handler(tls.getHandler());
    }

    @Override
    public IOEventHandler getHandler() {
        return handler;
    }

    /** Closes the session now when the socket failed; returns {@code ex} for the reactor to report. */
    private IOException closedOn(IOException ex) {
        if (!(ex instanceof SSLException)) {
            session.close(CloseMode.IMMEDIATE);
        }
        return ex;
    }

    /** The TLS layer's event handler, its reads and writes watched for a failed socket. */
    private final class Handler implements IOEventHandler {
        private final IOEventHandler tlsLayer;

        Handler(IOEventHandler tlsLayer) {
            this.tlsLayer = tlsLayer;
        }

        @Override
        public void connected(IOSession s) throws IOException {
            try {
                tlsLayer.connected(s);
            } catch (IOException ex) {
                throw closedOn(ex);
            }
        }

        @Override
        public void inputReady(IOSession s, ByteBuffer src) throws IOException {
            try {
                tlsLayer.inputReady(s, src);
            } catch (IOException ex) {
                throw closedOn(ex);
            }
        }

        @Override
        public void outputReady(IOSession s) throws IOException {
            try {
                tlsLayer.outputReady(s);
            } catch (IOException ex) {
                throw closedOn(ex);
            }
        }

        @Override
        public void timeout(IOSession s, Timeout timeout) throws IOException {
            tlsLayer.timeout(s, timeout);
        }

        @Override
        public void exception(IOSession s, Exception cause) {
            tlsLayer.exception(s, cause);
        }

        @Override
        public void disconnected(IOSession s) {
            tlsLayer.disconnected(s);
        }
    }
}

package io.towerrelay.edge;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.concurrent.locks.Lock;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
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
final class ProxyProtocolSession implements IOSession {
    private final IOSession session;
    private final ProxyProtocol.Connection connection;
    private final IOEventHandler gate = new Gate();

    ProxyProtocolSession(IOSession session, ProxyProtocol.Connection connection) {
        this.session = session;
        this.connection = connection;
    }

    @Override
    public IOEventHandler getHandler() {
        return connection.done() ? session.getHandler() : gate;
    }

    @Override
    public ByteChannel channel() {
        return this;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return session.write(src);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return session.read(dst);
    }

    @Override
    public boolean isOpen() {
        return session.isOpen();
    }

    @Override
    public void upgrade(IOEventHandler handler) {
        session.upgrade(handler);
    }

    @Override
    public Lock getLock() {
        return session.getLock();
    }

    @Override
    public void enqueue(Command command, Command.Priority priority) {
        session.enqueue(command, priority);
    }

    @Override
    public boolean hasCommands() {
        return session.hasCommands();
    }

    @Override
    public Command poll() {
        return session.poll();
    }

    @Override
    public SocketAddress getRemoteAddress() {
        return session.getRemoteAddress();
    }

    @Override
    public SocketAddress getLocalAddress() {
        return session.getLocalAddress();
    }

    @Override
    public int getEventMask() {
        return session.getEventMask();
    }

    @Override
    public void setEventMask(int ops) {
        session.setEventMask(ops);
    }

    @Override
    public void setEvent(int op) {
        session.setEvent(op);
    }

    @Override
    public void clearEvent(int op) {
        session.clearEvent(op);
    }

    @Override
    public void close() {
        session.close();
    }

    @Override
    public void close(CloseMode closeMode) {
        session.close(closeMode);
    }

    @Override
    public Status getStatus() {
        return session.getStatus();
    }

    @Override
    public Timeout getSocketTimeout() {
        return session.getSocketTimeout();
    }

    @Override
    public void setSocketTimeout(Timeout timeout) {
        session.setSocketTimeout(timeout);
    }

    @Override
    public long getLastReadTime() {
        return session.getLastReadTime();
    }

    @Override
    public long getLastWriteTime() {
        return session.getLastWriteTime();
    }

    @Override
    public long getLastEventTime() {
        return session.getLastEventTime();
    }

    @Override
    public void updateReadTime() {
        session.updateReadTime();
    }

    @Override
    public void updateWriteTime() {
        session.updateWriteTime();
    }

    @Override
    public String getId() {
        return session.getId();
    }

    @Override
    public String toString() {
        return session.toString();
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

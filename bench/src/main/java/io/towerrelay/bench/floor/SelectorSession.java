package io.towerrelay.bench.floor;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.Lock;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * A socket on a {@link SelectorProxy.Loop}, seen by the floor's handlers as the HttpCore5 session they are written
 * for: reads, writes, event interest, addresses and close, on the key's own thread. Commands, locks, upgrades and
 * timeouts are HttpCore5's reactor services, which the floor's handlers do not use.
 */
final class SelectorSession implements IOSession, SelectorProxy.Ready {
    private final SocketChannel channel;
    private final IOEventHandler handler;
    private final SelectorProxy.Loop loop;
    private SelectionKey key;
    /** Until the connection is up: told when it is, or when it failed. */
    private FutureCallback<IOSession> connecting;
    private volatile Status status = Status.ACTIVE;

    SelectorSession(SocketChannel channel, IOEventHandler handler, SelectorProxy.Loop loop) {
        this.channel = channel;
        this.handler = handler;
        this.loop = loop;
    }

    void register(SelectionKey selectionKey) {
        key = selectionKey;
    }

    void connecting(FutureCallback<IOSession> callback) {
        connecting = callback;
    }

    @Override
    public void ready(SelectionKey k) throws IOException {
        if (!isOpen()) {
            return; // closed earlier in this round: its key is cancelled, its events stale
        }
        if (connecting != null) {
            FutureCallback<IOSession> callback = connecting;
            connecting = null;
            channel.finishConnect();
            k.interestOps(SelectionKey.OP_READ);
            handler.connected(this);
            callback.completed(this);
            return;
        }
        int ops = k.readyOps();
        if ((ops & SelectionKey.OP_READ) != 0) {
            handler.inputReady(this, null);
        }
        if ((ops & SelectionKey.OP_WRITE) != 0 && isOpen()) {
            handler.outputReady(this);
        }
    }

    /** An event's handler threw, or the connection could not be made. */
    void failed(Exception cause) {
        if (connecting != null) {
            FutureCallback<IOSession> callback = connecting;
            connecting = null;
            release(); // no session was made: its handler is not told, as with HttpCore5's failed connects
            callback.failed(cause);
            return;
        }
        handler.exception(this, cause);
        close(CloseMode.IMMEDIATE);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return channel.write(src);
    }

    @Override
    public void close(CloseMode closeMode) {
        if (release()) {
            loop.closed(this);
        }
    }

    /** Closes the socket; false when it was closed already. */
    private boolean release() {
        if (status == Status.CLOSED) {
            return false;
        }
        status = Status.CLOSED;
        key.cancel();
        try {
            channel.close();
        } catch (IOException e) {
            // closing is all there is left to do
        }
        return true;
    }

    @Override
    public void close() {
        close(CloseMode.GRACEFUL);
    }

    @Override
    public boolean isOpen() {
        return status == Status.ACTIVE;
    }

    @Override
    public Status getStatus() {
        return status;
    }

    @Override
    public void setEvent(int op) {
        if (isOpen()) {
            key.interestOps(key.interestOps() | op);
        }
    }

    @Override
    public void clearEvent(int op) {
        if (isOpen()) {
            key.interestOps(key.interestOps() & ~op);
        }
    }

    @Override
    public int getEventMask() {
        return key.interestOps();
    }

    @Override
    public void setEventMask(int ops) {
        if (isOpen()) {
            key.interestOps(ops);
        }
    }

    @Override
    public SocketAddress getRemoteAddress() {
        return channel.socket().getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalAddress() {
        return channel.socket().getLocalSocketAddress();
    }

    @Override
    public IOEventHandler getHandler() {
        return handler;
    }

    @Override
    public ByteChannel channel() {
        return this;
    }

    @Override
    public String getId() {
        return "selector-" + Integer.toHexString(System.identityHashCode(this));
    }

    @Override
    public void upgrade(IOEventHandler next) {
        throw new UnsupportedOperationException("not a reactor session: no protocol upgrade");
    }

    @Override
    public Lock getLock() {
        throw new UnsupportedOperationException("not a reactor session: no session lock");
    }

    @Override
    public void enqueue(Command command, Command.Priority priority) {
        throw new UnsupportedOperationException("not a reactor session: no command queue");
    }

    @Override
    public boolean hasCommands() {
        return false;
    }

    @Override
    public Command poll() {
        return null;
    }

    @Override
    public Timeout getSocketTimeout() {
        return Timeout.DISABLED;
    }

    @Override
    public void setSocketTimeout(Timeout timeout) {
        // no socket timeouts here (see SelectorProxy)
    }

    @Override
    public long getLastReadTime() {
        return 0;
    }

    @Override
    public long getLastWriteTime() {
        return 0;
    }

    @Override
    public long getLastEventTime() {
        return 0;
    }

    @Override
    public void updateReadTime() {
    }

    @Override
    public void updateWriteTime() {
    }
}

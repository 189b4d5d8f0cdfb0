package io.towerrelay.reactor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Lock;
import org.apache.hc.core5.http.nio.command.RequestExecutionCommand;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.ProtocolIOSession;

/**
 * The session an HTTP/1.1 handler of a plain (non-TLS) connection sees: output it asks for on its own I/O thread,
 * during an event of that thread, is written when that event ends instead of in a later selector round.
 *
 * <p>Why: HttpCore5 writes only from an output event. Asking for one ({@code setEvent(OP_WRITE)}, or a request
 * command queued on an upstream connection) sets write interest on the selection key and wakes the selector, even
 * from the selector's own thread; the next round writes, then clears the interest. Forwarding one small exchange
 * cost ~3.8 {@code epoll_ctl}, ~1.3 wake-up writes and reads of the selector's eventfd and an extra
 * {@code epoll_wait} (perf stat, bench keep-alive load), where NGINX makes one {@code writev} per side. Here the
 * interest is only noted, and {@link OutputRounds} calls the handler's output event as soon as the current event
 * returns: both connections of an exchange live on this thread, so the client's request goes upstream, and the
 * upstream's answer to the client, in the same round it was read. Only output the socket did not take (it is
 * full) becomes real write interest, as before.
 *
 * <p>Elsewhere everything passes through: off the I/O thread, outside an event of the thread (a connect
 * callback), and for sessions under TLS (this wrapper is only installed on plain connections: the TLS layer
 * needs its own write interest to flush what it encrypted).
 */
final class DeferredOutputSession extends ForwardingProtocolSession implements RoundOutput {
    private final OutputRounds rounds;
    private final Thread owner;
    /** Output asked for and not yet given an output event. */
    private boolean wantsOutput;
    /** Listed in the thread's {@link OutputRounds}. */
    private boolean queued;
    /** Request commands queued here instead of on the session (which would set write interest and wake up). */
    private final ArrayDeque<Command> commands = new ArrayDeque<>(2);

    /** The handler this session was made for (the thread's round around HttpCore5's HTTP/1.1 handler). */
    private IOEventHandler handler;
    /** The handler's last read filled the buffer it read into: the socket may hold more. */
    private boolean lastReadFilled;

    /** Joins an answer's head to the body write after it (null if there is no socket under the session). */
    private final GatheredWrites writes;
    /** A graceful close asked for while written bytes still wait for the socket: done once they are out. */
    private boolean closeWhenWritten;

    /**
     * The socket's key on this thread's selector, or null when unknown. HttpCore5's session wakes its selector on
     * every change of interest, even from the selector's own thread, where the next select takes the change up
     * anyway: an eventfd write and a read to drain it (a short-lived connection's read interest, cleared before it
     * closes, was one). On this thread the key is changed directly instead.
     */
    private final SelectionKey key;

    DeferredOutputSession(ProtocolIOSession session, OutputRounds rounds, SelectionKey key) {
        super(session);
        this.rounds = rounds;
        this.owner = Thread.currentThread();
        this.key = key;
        SocketChannel socket = ForwardingSession.socketOf(session);
        this.writes = socket == null ? null : new GatheredWrites(socket, rounds,
                () -> interest(SelectionKey.OP_WRITE, true), () -> session.close(CloseMode.IMMEDIATE));
    }

    /** HttpCore5's channel this session stands in front of. */
    ProtocolIOSession channel0() {
        return protocol;
    }

    void handler(IOEventHandler eventHandler) {
        this.handler = eventHandler;
    }

    /**
     * True once after a read that filled the handler's buffer, while the handler still wants input: the socket may
     * hold more, worth reading in the same event (see {@link OutputRounds}).
     */
    boolean readMore() {
        boolean more = lastReadFilled && session.isOpen() && (session.getEventMask() & SelectionKey.OP_READ) != 0;
        lastReadFilled = false;
        return more;
    }

    private boolean deferrable() {
        return Thread.currentThread() == owner && rounds.inEvent();
    }

    @Override
    public boolean queued() {
        return queued;
    }

    @Override
    public void queued(boolean queued) {
        this.queued = queued;
    }

    /** Output is due: gives the handler output events until it wants no more, or the socket takes no more. */
    @Override
    public void runOutput() {
        if (handler == null) {
            promote();
            return;
        }
        if (!session.isOpen()) {
            wantsOutput = false;
            cancelCommands();
            return;
        }
        // The handler clears the interest when it has written all it had (HttpCore5's duplexers do), so a flag
        // still set after its event means more to write: another event, a few times, then the selector's.
        for (int i = 0; i < 4 && (wantsOutput || !commands.isEmpty()); i++) {
            try {
                session.updateWriteTime();
                handler.outputReady(session);
            } catch (Exception ex) {
                // As the reactor does when an event handler throws.
                handler.exception(session, ex);
                session.close(CloseMode.GRACEFUL);
                cancelCommands();
                return;
            }
            if (!session.isOpen()) {
                cancelCommands();
                return;
            }
        }
        if (wantsOutput || !commands.isEmpty()) {
            promote(); // not all of it went out (the socket is full): the selector tells when it can take more
        }
    }

    /** Hands what is still due to the selector: write interest, and the queued commands to the session. */
    @Override
    public void promote() {
        wantsOutput = false;
        for (Command c = commands.pollLast(); c != null; c = commands.pollLast()) {
            session.enqueue(c, Command.Priority.IMMEDIATE);
        }
        interest(SelectionKey.OP_WRITE, true);
    }

    private void cancelCommands() {
        for (Command c = commands.poll(); c != null; c = commands.poll()) {
            c.cancel();
        }
    }

    /**
     * An output event from the selector: first what earlier rounds wrote and the socket did not take. False while
     * some of it still waits, or when the close that waited for it is done (the handler gets no event then).
     */
    boolean flushWritten() throws IOException {
        if (writes != null && !writes.flushLeftover()) {
            return false;
        }
        if (closeWhenWritten) {
            session.close(CloseMode.GRACEFUL);
            return false;
        }
        return true;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return writes != null ? writes.write(src) : session.write(src);
    }

    @Override
    public void close() {
        close(CloseMode.GRACEFUL);
    }

    @Override
    public void close(CloseMode closeMode) {
        if (closeMode == CloseMode.GRACEFUL && writes != null && !closeWhenWritten && Thread.currentThread() == owner
                && session.isOpen() && (!rounds.sendHeldOf(writes) || writes.hasLeftover())) {
            // What the handler wrote is not all out yet: close once it is. A second close (the socket timeout's,
            // when the peer reads nothing) is not put off again.
            closeWhenWritten = true;
            interest(SelectionKey.OP_WRITE, true);
            return;
        }
        session.close(closeMode);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = session.read(dst);
        lastReadFilled = n > 0 && !dst.hasRemaining();
        return n;
    }

    // ---- what the handler changes ----

    @Override
    public void setEvent(int op) {
        if (Thread.currentThread() == owner) {
            if ((op & SelectionKey.OP_WRITE) != 0 && rounds.inEvent()) {
                wantsOutput = true;
                rounds.due(this);
                op &= ~SelectionKey.OP_WRITE;
            }
            if ((session.getEventMask() & op) == op) {
                return; // already set (HttpCore5 sets read interest again after every input event)
            }
        }
        interest(op, true);
    }

    @Override
    public void clearEvent(int op) {
        if ((op & SelectionKey.OP_WRITE) != 0) {
            wantsOutput = false;
            if (writes != null && (writes.hasLeftover() || closeWhenWritten)) {
                op &= ~SelectionKey.OP_WRITE; // written bytes still wait for the socket: keep the interest
            }
        }
        if (Thread.currentThread() == owner && (session.getEventMask() & op) == 0) {
            return; // not set (write interest mostly never was)
        }
        interest(op, false);
    }

    /**
     * Sets or clears {@code ops}: on this session's own thread on its key, taken up by the selector's next round
     * (under the session's lock, as HttpCore5 changes it); through HttpCore5's session, which wakes the selector,
     * from any other thread or when the key is not known.
     */
    private void interest(int ops, boolean set) {
        if (key == null || Thread.currentThread() != owner) {
            if (set) {
                session.setEvent(ops);
            } else {
                session.clearEvent(ops);
            }
            return;
        }
        Lock lock = session.getLock();
        lock.lock();
        try {
            if (key.isValid()) {
                key.interestOps(set ? key.interestOps() | ops : key.interestOps() & ~ops);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void setEventMask(int ops) {
        wantsOutput = false;
        session.setEventMask(writes != null && writes.hasLeftover() ? ops | SelectionKey.OP_WRITE : ops);
    }

    @Override
    public int getEventMask() {
        return wantsOutput ? session.getEventMask() | SelectionKey.OP_WRITE : session.getEventMask();
    }

    @Override
    public void enqueue(Command command, Command.Priority priority) {
        if (command instanceof RequestExecutionCommand && deferrable() && session.isOpen()) {
            if (priority == Command.Priority.IMMEDIATE) {
                commands.addFirst(command);
            } else {
                commands.addLast(command);
            }
            rounds.due(this);
            return;
        }
        session.enqueue(command, priority);
    }

    @Override
    public boolean hasCommands() {
        return !commands.isEmpty() || session.hasCommands();
    }

    @Override
    public Command poll() {
        Command c = commands.poll();
        return c != null ? c : session.poll();
    }
}

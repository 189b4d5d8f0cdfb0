package io.towerrelay.reactor;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hc.core5.reactor.IOSession;

/**
 * What an HTTP/1.1 handler read from its session and has not handed on yet: a heap buffer in read mode, which the
 * head parsers read in place and whose body bytes are handed on as slices (their consumers copy them, as
 * HttpCore5's data consumers must). It grows only for a head longer than it, up to the limit the handler gives,
 * and goes back to its size once what it holds fits again.
 *
 * <p>The buffer is the I/O thread's, lent while it holds bytes: {@link #release} gives it back once everything in it
 * was handed on. A request usually comes whole in one read and is handed on in the same event, so a connection
 * between requests, or one that sends a single request and closes, holds no buffer, and a new connection does
 * not allocate one (it was a third of what the relay allocated per connection with a new connection per request;
 * JFR).
 */
public final class SessionInput {
    /** Reads per input event while each fills the buffer: fair to the thread's other connections. */
    public static final int MAX_READS = 4;
    /**
     * Held while nothing is: empty, in read mode. Shared by every instance: with no capacity its position and limit
     * can only be 0. Not read-only, because the parsers read a buffer's array.
     */
    private static final ByteBuffer NONE = ByteBuffer.allocate(0);

    private final int size;
    /** The I/O thread's free buffers of {@link #size}; null off the reactor, where buffers are allocated. */
    private ReadBuffers pool;
    private ByteBuffer in = NONE;
    private boolean filled;

    public SessionInput(int size) {
        this.size = size;
    }

    /** With its own free list (tests): off the reactor, buffers are otherwise allocated and left to the collector. */
    SessionInput(int size, ReadBuffers pool) {
        this.size = size;
        this.pool = pool;
    }

    /** The bytes read and not yet taken (read mode); the buffer itself changes when it grows or is given back. */
    public ByteBuffer bytes() {
        return in;
    }

    /** Keeps what TLS handed over decrypted, all of it, behind what is there. */
    public void take(ByteBuffer src) {
        if (in == NONE) {
            in = lend();
        }
        in.compact();
        if (in.remaining() < src.remaining()) {
            in = ByteBuffer.allocate(in.position() + src.remaining() + size).put(in.flip());
        }
        in.put(src).flip();
    }

    /**
     * Reads what the session has into the room left. With no room, the buffer doubles while it is smaller than
     * {@code growTo} (0: never; a head longer than the buffer), else nothing is read.
     *
     * @return the bytes read, 0 for none, -1 at the end of the stream
     */
    public int read(IOSession session, int growTo) throws IOException {
        return read(session, growTo, Integer.MAX_VALUE);
    }

    /**
     * As {@link #read(IOSession, int)}, taking at most {@code max} bytes: {@link #filled} then says whether those
     * were all there was room for.
     */
    public int read(IOSession session, int growTo, int max) throws IOException {
        if (in == NONE) {
            in = lend();
        }
        in.compact();
        if (!in.hasRemaining()) {
            if (in.capacity() >= growTo) {
                in.flip();
                filled = false;
                return 0;
            }
            in = ByteBuffer.allocate(in.capacity() * 2).put(in.flip());
        }
        int room = Math.min(in.remaining(), max);
        int limit = in.limit();
        in.limit(in.position() + room);
        int n = session.read(in);
        in.limit(limit);
        in.flip();
        filled = n >= room;
        return n;
    }

    /**
     * Whether the last read filled all the room it had: the socket may hold more. A handler reads again in the same
     * event only then; else the socket is most likely empty, and the selector says when it is not.
     */
    public boolean filled() {
        return filled;
    }

    /** No room is left without growing. */
    public boolean full() {
        return in != NONE && in.remaining() == in.capacity();
    }

    /** Back to the first size once what is left fits it (after a long head). */
    public void shrink() {
        if (in.capacity() > size && in.remaining() <= size) {
            ByteBuffer left = in;
            in = lend().compact().put(left).flip();
        }
    }

    /** Drops what is held, and gives the buffer back. */
    public void discard() {
        if (in != NONE) {
            in.position(in.limit());
            release();
        }
    }

    /**
     * Gives the buffer back once all it held was handed on. Call it when an event is over: slices handed on during
     * the event were copied by then.
     */
    public void release() {
        if (in == NONE || in.hasRemaining()) {
            return;
        }
        if (pool != null) {
            pool.giveBack(in); // a grown buffer is not taken back (wrong size), and is left to the collector
        }
        in = NONE;
    }

    /** An empty buffer of the first size, in read mode. */
    private ByteBuffer lend() {
        if (pool == null) {
            pool = SharedReactor.readBuffers(size);
        }
        ByteBuffer buffer = pool == null ? ByteBuffer.allocate(size) : pool.lend();
        return buffer.flip();
    }
}

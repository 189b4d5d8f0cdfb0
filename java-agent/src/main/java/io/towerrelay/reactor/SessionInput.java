package io.towerrelay.reactor;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hc.core5.reactor.IOSession;

/**
 * What an HTTP/1.1 handler read from its session and has not handed on yet: a heap buffer in read mode, which the
 * head parsers read in place and whose body bytes are handed on as slices. It grows only for a head longer than
 * it, up to the limit the handler gives, and goes back to its size once what it holds fits again.
 */
public final class SessionInput {
    /** Reads per input event while each fills the buffer: fair to the thread's other connections. */
    public static final int MAX_READS = 4;

    private final int size;
    private ByteBuffer in;
    private boolean filled;

    public SessionInput(int size) {
        this.size = size;
        this.in = ByteBuffer.allocate(size).flip();
    }

    /** The bytes read and not yet taken (read mode); the buffer itself changes when it grows. */
    public ByteBuffer bytes() {
        return in;
    }

    /** Keeps what TLS handed over decrypted, all of it, behind what is there. */
    public void take(ByteBuffer src) {
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
        in.compact();
        if (!in.hasRemaining()) {
            if (in.capacity() >= growTo) {
                in.flip();
                filled = false;
                return 0;
            }
            in = ByteBuffer.allocate(in.capacity() * 2).put(in.flip());
        }
        int room = in.remaining();
        int n = session.read(in);
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
        return in.remaining() == in.capacity();
    }

    /** Back to the first size once what is left fits it (after a long head). */
    public void shrink() {
        if (in.capacity() > size && in.remaining() <= size) {
            in = ByteBuffer.allocate(size).put(in).flip();
        }
    }

    /** Drops what is held. */
    public void discard() {
        in.position(in.limit());
    }
}

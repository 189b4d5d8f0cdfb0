package io.towerrelay.reactor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Joins a small write of a plain HTTP/1.1 session to the write after it into one {@code writev}, while its thread
 * writes a round's output ({@link OutputRounds}): HttpCore5 writes an answer's head from its session buffer, then a
 * body chunk above its chunk size hint straight from the body's buffer, two system calls (two TCP segments, two
 * wake-ups of the reader) for one answer. A write of up to {@link #HOLD} bytes is copied and reported written; the
 * session's next write sends both; the end of the round's step (or another session's held write) sends it alone.
 *
 * <p>What the socket did not take stays here ({@link #hasLeftover}) and goes before anything written later; the
 * session keeps write interest until it is gone, and a graceful close waits for it. The copy buffer is the
 * thread's: one session holds at a time.
 */
final class GatheredWrites {
    /** Writes up to this size are held: a message head, a small answer (HttpCore5's 8 KiB session buffer). */
    static final int HOLD = 8 * 1024;

    private final SocketChannel socket;
    private final OutputRounds rounds;
    /** Asks the selector to say when the socket takes more (write interest on the session). */
    private final Runnable wantWrite;
    /** Ends the session when a held write finds the peer gone. */
    private final Runnable closeNow;
    private final ByteBuffer[] pair = new ByteBuffer[2];
    /** Held in the thread's buffer (read mode), or null. */
    private ByteBuffer held;
    /** Bytes reported written that the socket did not take (read mode), or null. */
    private ByteBuffer leftover;

    GatheredWrites(SocketChannel socket, OutputRounds rounds, Runnable wantWrite, Runnable closeNow) {
        this.socket = socket;
        this.rounds = rounds;
        this.wantWrite = wantWrite;
        this.closeNow = closeNow;
    }

    /** Writes {@code src}, held, joined with what is held, or straight; returns the bytes of {@code src} taken. */
    int write(ByteBuffer src) throws IOException {
        if (!flushLeftover()) {
            return 0;
        }
        if (held != null) {
            return writeAfterHeld(src);
        }
        int n = src.remaining();
        if (n > 0 && n <= HOLD && rounds.mayHold(this)) {
            held = rounds.heldBuffer().clear().put(src).flip();
            return n;
        }
        return socket.write(src);
    }

    /**
     * Sends what is held; what the socket does not take becomes leftover, with write interest so that the selector
     * says when it can go. False if something is left.
     */
    boolean sendHeld() {
        if (held != null) {
            ByteBuffer h = held;
            held = null;
            try {
                socket.write(h);
            } catch (IOException ex) {
                closeNow.run(); // as when the handler's own write fails: the peer is gone
                return true;
            }
            if (h.hasRemaining()) {
                leftover = ByteBuffer.allocate(h.remaining()).put(h).flip();
                wantWrite.run();
            }
        }
        return leftover == null;
    }

    /** True while bytes reported written wait for the socket. */
    boolean hasLeftover() {
        return leftover != null;
    }

    /** Sends what the socket did not take before; true when nothing is left. */
    boolean flushLeftover() throws IOException {
        if (leftover != null) {
            socket.write(leftover);
            if (leftover.hasRemaining()) {
                return false;
            }
            leftover = null;
        }
        return true;
    }

    private int writeAfterHeld(ByteBuffer src) throws IOException {
        int before = src.remaining();
        pair[0] = held;
        pair[1] = src;
        try {
            socket.write(pair);
        } finally {
            pair[0] = null;
            pair[1] = null;
        }
        rounds.released(this);
        if (held.hasRemaining()) {
            // The socket is full: keep the rest apart from the thread's buffer; nothing of src went.
            leftover = ByteBuffer.allocate(held.remaining()).put(held).flip();
            held = null;
            return 0;
        }
        held = null;
        return before - src.remaining();
    }
}

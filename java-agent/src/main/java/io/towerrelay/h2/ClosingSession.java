package io.towerrelay.h2;

import io.towerrelay.reactor.ForwardingProtocolSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.ProtocolIOSession;

/**
 * The client session as HttpCore5's HTTP/2 multiplexer sees it: the real one, except that closing it hands the
 * close to {@link ScreenedH2Connection}, which lingers. The multiplexer closes as soon as its GOAWAY is written;
 * with the client's next frames still unread, the kernel answers them with a TCP reset, and a reset can destroy
 * the GOAWAY before the client reads it (RFC 9293 §3.6.1; RFC 9113 §6.8 asks to send GOAWAY and then close).
 */
final class ClosingSession extends ForwardingProtocolSession {
    /** Told when the multiplexer wants the connection closed. */
    interface Closer {
        void closeRequested(CloseMode mode);
    }

    /** Told of each DATA frame the multiplexer writes (for the screen's per-stream send windows). */
    interface DataSent {
        void dataSent(int streamId, int length);
    }

    /** The most plaintext a TLS record holds (RFC 8446 §5.1). */
    private static final int RECORD = 16_384;
    private final Closer closer;
    private final DataSent dataSent;
    private volatile boolean closing;
    /** How many times the multiplexer asked to close (it asks again after each write once its output is empty). */
    private int closeRequests;
    /** The head of the outgoing frame being written, while incomplete. */
    private final byte[] head = new byte[9];
    private int headFill;
    /** Payload bytes of the outgoing frame not yet written; 0 at a frame boundary (with headFill 0). */
    private int payloadLeft;
    /** Frames of the screen's own (RST_STREAM), written at the next frame boundary of the multiplexer's output. */
    private final java.util.ArrayDeque<ByteBuffer> injected = new java.util.ArrayDeque<>();
    /**
     * Frames written and not yet given to the TLS layer (in fill mode; allocated at the first write). The TLS layer
     * makes a record of each write, and holds one record at a time (the JDK's engine wants a whole record's room):
     * an answer's HEADERS, DATA and end, written as three frames, were three records and three system calls. Here
     * they are gathered and handed on as one record, at the end of each output event
     * ({@link ScreenedH2Connection#outputReady}) or when full.
     */
    private ByteBuffer pending;

    ClosingSession(ProtocolIOSession session, Closer closer, DataSent dataSent) {
        super(session);
        this.closer = closer;
        this.dataSent = dataSent;
    }

    /** Queues a whole frame of the screen's own between the multiplexer's frames. */
    void inject(ByteBuffer frame) {
        injected.add(frame);
        session.setEvent(java.nio.channels.SelectionKey.OP_WRITE);
    }

    boolean hasInjected() {
        return !injected.isEmpty();
    }

    /** Writes queued frames when at a frame boundary; true when none are left. */
    boolean flushInjected() throws IOException {
        while (!injected.isEmpty() && headFill == 0 && payloadLeft == 0) {
            ByteBuffer frame = injected.peek();
            gather(frame);
            if (frame.hasRemaining()) {
                return false;
            }
            injected.poll();
        }
        return injected.isEmpty();
    }

    /** Follows the frame boundaries in what was written, and reports DATA frames. */
    private void track(ByteBuffer src, int from, int to) {
        int at = from;
        while (at < to) {
            if (payloadLeft == 0) {
                head[headFill++] = src.get(at++);
                if (headFill == 9) {
                    headFill = 0;
                    payloadLeft = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
                    if (head[3] == 0 && dataSent != null) {
                        int stream = ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16) | ((head[7] & 0xff) << 8) | (head[8] & 0xff);
                        dataSent.dataSent(stream, payloadLeft);
                    }
                }
            } else {
                int n = Math.min(payloadLeft, to - at);
                payloadLeft -= n;
                at += n;
            }
        }
    }

    @Override
    public void close() {
        close(CloseMode.GRACEFUL);
    }

    @Override
    public void close(CloseMode closeMode) {
        closing = true;
        closeRequests++;
        closer.closeRequested(closeMode);
    }

    /**
     * Close requests so far. Once shut down, HttpCore5's multiplexer asks to close at the end of every
     * {@code outputReady} that left nothing of its own to write (AbstractH2StreamMultiplexer.onOutput), so a request
     * made during one means its last frame (the GOAWAY) is written to the session.
     */
    int closeRequests() {
        return closeRequests;
    }

    @Override
    public boolean isOpen() {
        return !closing && session.isOpen();
    }

    @Override
    public Status getStatus() {
        return closing && session.getStatus() == Status.ACTIVE ? Status.CLOSING : session.getStatus();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!injected.isEmpty()) {
            if (headFill == 0 && payloadLeft == 0) {
                if (!flushInjected()) {
                    return 0; // the multiplexer keeps its bytes and writes them on the next OP_WRITE
                }
            } else if (headFill == 0 && src.remaining() > payloadLeft) {
                // Finish the frame under way first; the injected frame goes right after it.
                int limit = src.limit();
                src.limit(src.position() + payloadLeft);
                try {
                    return write(src);
                } finally {
                    src.limit(limit);
                }
            }
        }
        int start = src.position();
        int n = gather(src);
        if (n > 0) {
            track(src, start, start + n);
        }
        return n;
    }

    /**
     * Takes what fits of {@code src} into the frames to hand on, handing a full record on first. Records are filled
     * across frame boundaries: a 16 KiB DATA frame and its 9-byte head do not fit one record, and handing on at each
     * frame's end made every other record of a large answer 9 bytes long (a record, an encryption and a write each).
     */
    private int gather(ByteBuffer src) throws IOException {
        if (pending == null) {
            pending = ByteBuffer.allocate(RECORD);
        }
        if (!pending.hasRemaining() && !flushPending()) {
            return 0; // the TLS layer holds a record still: the multiplexer keeps its bytes for the next event
        }
        int n = Math.min(src.remaining(), pending.remaining());
        int limit = src.limit();
        src.limit(src.position() + n);
        pending.put(src);
        src.limit(limit);
        if (!pending.hasRemaining()) {
            flushPending();
        }
        return n;
    }

    /** Hands the gathered frames to the TLS layer as one record; true when none are left. */
    boolean flushPending() throws IOException {
        if (pending == null || pending.position() == 0) {
            return true;
        }
        pending.flip();
        try {
            session.write(pending);
        } finally {
            pending.compact();
        }
        return pending.position() == 0;
    }

    /** The multiplexer's "nothing left to write" does not hold while gathered frames wait: they need an output event. */
    @Override
    public void clearEvent(int op) {
        if (pending != null && pending.position() > 0) {
            op &= ~java.nio.channels.SelectionKey.OP_WRITE;
        }
        if (op != 0) {
            session.clearEvent(op);
        }
    }
}

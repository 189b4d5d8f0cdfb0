package io.towerrelay.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import org.apache.hc.core5.reactor.IOSession;

/**
 * One direction of a tunnel: bytes read from {@code source} wait here until written to {@code sink}.
 *
 * <p>Backpressure, as in Netty's HexDumpProxy: the source's thread stops reading ({@code OP_READ} off) once
 * {@link #HIGH_WATER} bytes wait, and the sink's thread turns it back on when it has drained below
 * {@link #LOW_WATER}. The sink has {@code OP_WRITE} only while bytes wait. Interest is changed only when that
 * state changes (each change wakes a selector), and the changes happen under this pipe's lock, so a "stop
 * writing" decided on one thread cannot overtake a "start writing" from the other.
 *
 * <p>Each socket is read and written only by its own I/O thread; the other thread only flips its interest.
 * TLS hands decrypted bytes over as the {@code src} of {@code inputReady}, which must be taken whole: the
 * buffer keeps {@code PipeBuffers.LARGE - HIGH_WATER} bytes of slack above the high-water mark for that.
 */
final class Pipe {

    /**
     * 16 KiB per direction before the source stops being read: a full TLS record fits above it in a pooled
     * buffer, and at 1,000 busy tunnels the buffers in use stay around 32 MiB (they were 64 KiB each).
     */
    static final int HIGH_WATER = PipeBuffers.LARGE / 2;
    static final int LOW_WATER = HIGH_WATER / 2;

    private final PipeBuffers pool;
    private IOSession source;
    private IOSession sink;
    private ByteBuffer buffer;      // fill mode: bytes waiting are [0, position); null while empty
    private boolean readerPaused;
    private boolean writerArmed;
    private boolean endOfInput;     // the source will send nothing more
    private boolean abandoned;      // the sink is gone: drop what comes
    private boolean delivered;      // the source ended and everything it sent was written to the sink
    private long transferred;
    private boolean lastReadLarge;  // the last read filled more than a small buffer: read straight into a large one

    Pipe(PipeBuffers pool) {
        this.pool = pool;
    }

    synchronized void connect(IOSession source, IOSession sink) {
        this.source = source;
        this.sink = sink;
    }

    /** Bytes that came before the tunnel existed (the 101 head and anything after it). Sink thread arms later. */
    synchronized void preload(ByteBuffer bytes) {
        if (buffer == null && bytes.position() == 0) {
            // Takes the caller's buffer as is (compact() turns it to fill mode in place) instead of a pooled one:
            // when thousands of sockets connect at once, their 101 heads wait for the client threads, and each
            // held a 32 KiB pool buffer that the pool then kept.
            buffer = bytes.compact();
            return;
        }
        ensureRoom(bytes.remaining());
        buffer.put(bytes);
    }

    /** Sink thread will be woken to write what was preloaded. */
    synchronized void armWriter() {
        if (!writerArmed) {
            writerArmed = true;
            sink.setEvent(SelectionKey.OP_WRITE);
        }
    }

    /** Source thread: (re)assert read interest unless backpressure or end of stream says otherwise. */
    synchronized void settleReadInterest() {
        if (!readerPaused && !endOfInput) {
            source.setEvent(SelectionKey.OP_READ);
        }
    }

    /** Nothing more will go through this pipe: delivered to the end, or its sink is gone. */
    synchronized boolean finished() {
        return delivered || abandoned;
    }

    synchronized boolean hasData() {
        return buffer != null && buffer.position() > 0;
    }

    synchronized long transferred() {
        return transferred;
    }

    /**
     * Source thread, on input: take {@code src} (TLS plaintext) whole, then read the socket until it is empty or
     * the high-water mark is reached.
     *
     * @return false once the source has reached end of stream
     */
    synchronized boolean fill(ByteBuffer src) throws IOException {
        return fill(src, false);
    }

    /**
     * As {@link #fill(ByteBuffer)}; with {@code drainNext} the caller calls {@link #drain()} right after, on the
     * sink's own thread, so the sink's write interest is not armed here (arming it wakes the selector and costs an
     * {@code epoll_ctl} each way); {@link #drain()} arms it if the sink does not take everything.
     */
    synchronized boolean fill(ByteBuffer src, boolean drainNext) throws IOException {
        if (abandoned) {
            return drainAway(src);
        }
        if (src != null && src.hasRemaining()) {
            ensureRoom(src.remaining());
            buffer.put(src);
        }
        boolean open = !endOfInput;
        while (open && size() < HIGH_WATER) {
            int n;
            int room;
            if (lastReadLarge || (buffer != null && buffer.capacity() == PipeBuffers.LARGE)) {
                // A flood: straight into a large buffer, no copy.
                if (buffer == null) {
                    buffer = pool.acquireLarge();
                }
                ensureRoom(1);
                room = buffer.remaining();
                n = source.read(buffer);
            } else {
                // Maybe one small message: read it into the thread's scratch and keep only what it needs.
                ByteBuffer scratch = pool.scratch();
                scratch.limit(PipeBuffers.LARGE - size());
                room = scratch.remaining();
                n = source.read(scratch);
                if (n > 0) {
                    scratch.flip();
                    ensureRoom(n);
                    buffer.put(scratch);
                }
            }
            if (n > 0) {
                lastReadLarge = n > PipeBuffers.SMALL;
            }
            if (n < 0) {
                open = false;
            } else if (n < room) {
                // Less than there was room for: the socket is empty now. Reading again would only return 0 (one
                // system call per WebSocket frame); more bytes make the selector report the socket again.
                break;
            }
        }
        if (buffer != null && buffer.position() == 0) {
            releaseBuffer();
        }
        if (!open) {
            endOfInput = true;
        }
        if ((size() > 0 || endOfInput) && !writerArmed && !delivered && !drainNext) {
            writerArmed = true;
            sink.setEvent(SelectionKey.OP_WRITE);
        }
        if ((endOfInput || size() >= HIGH_WATER) && !readerPaused) {
            readerPaused = true;
            source.clearEvent(SelectionKey.OP_READ);
        }
        return open;
    }

    /**
     * Sink thread, when writable: write what waits.
     *
     * @return true, once, when the source has ended and everything it sent has been written: the sink's output
     *         may now be shut
     */
    synchronized boolean drain() throws IOException {
        return drain(false);
    }

    /** As {@link #drain()}; {@code inPlace}: called right after {@link #fill(ByteBuffer, boolean)}, not in an output event. */
    synchronized boolean drain(boolean inPlace) throws IOException {
        if (buffer != null && buffer.position() > 0) {
            buffer.flip();
            try {
                while (buffer.hasRemaining()) {
                    int n = sink.write(buffer);
                    if (n <= 0) {
                        break;
                    }
                    transferred += n;
                }
            } finally {
                buffer.compact();
            }
            if (buffer.position() == 0) {
                releaseBuffer();
            }
        }
        int size = size();
        if (inPlace && size > 0 && !writerArmed && !abandoned) {
            // Written in place (see fill) and the sink did not take it all: the selector says when it can.
            writerArmed = true;
            sink.setEvent(SelectionKey.OP_WRITE);
        }
        if (size == 0) {
            writerArmed = false;
            if ((sink.getEventMask() & SelectionKey.OP_WRITE) != 0) {
                sink.clearEvent(SelectionKey.OP_WRITE);
            }
            if (endOfInput && !delivered && !abandoned) {
                delivered = true;
                return true;
            }
        }
        if (readerPaused && !endOfInput && size <= LOW_WATER) {
            readerPaused = false;
            source.setEvent(SelectionKey.OP_READ);
        }
        return false;
    }

    /** The source is gone (closed, reset, timed out): the sink flushes what waits, then closes. */
    synchronized void endOfInput() {
        if (endOfInput) {
            return;
        }
        endOfInput = true;
        if (!writerArmed && !abandoned && !delivered) {
            writerArmed = true;
            sink.setEvent(SelectionKey.OP_WRITE);
        }
    }

    /** The sink is gone: nothing here can be delivered any more. */
    synchronized void abandon() {
        abandoned = true;
        endOfInput = true;
        releaseBuffer();
    }

    private boolean drainAway(ByteBuffer src) throws IOException {
        if (src != null) {
            src.position(src.limit());
        }
        ByteBuffer scratch = pool.scratch();
        int n;
        while ((n = source.read(scratch)) > 0) {
            scratch.clear();
        }
        return n >= 0;
    }

    private int size() {
        return buffer == null ? 0 : buffer.position();
    }

    private void ensureRoom(int bytes) {
        if (buffer == null) {
            buffer = pool.acquire(bytes);
        }
        if (buffer.remaining() < bytes) {
            int needed = buffer.position() + bytes;
            // A small buffer (or a preloaded head's exact-size one) moves to a larger pooled one. Beyond the large
            // size: only when TLS hands over more plaintext in one event than the slack allows (several records at
            // once), kept so that no byte is ever dropped.
            ByteBuffer larger = needed <= PipeBuffers.LARGE ? pool.acquire(needed)
                    : ByteBuffer.allocate(needed + PipeBuffers.LARGE);
            buffer.flip();
            larger.put(buffer);
            pool.release(buffer);
            buffer = larger;
        }
    }

    private void releaseBuffer() {
        if (buffer != null) {
            pool.release(buffer);
            buffer = null;
        }
    }
}

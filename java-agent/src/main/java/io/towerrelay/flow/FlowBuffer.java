package io.towerrelay.flow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;

/**
 * The bytes of one body direction that the reading side has taken and the writing side has not yet written,
 * plus the reading side's HttpCore5 input window. HttpCore5 resumes reading on ANY positive capacity update, even
 * one that leaves its window negative, so granting "what was drained" lets a fast sender fill memory. Instead this
 * tracks the window as HttpCore5 does (initial + granted - received) and only grants what brings window plus
 * buffered bytes up to {@link #HIGH_WATER}. It may hold a little more, because HttpCore5 hands over whatever one
 * socket read returned. Not thread-safe: callers hold the exchange lock.
 *
 * <p>The array is allocated on the first byte, not with the exchange: most requests (every GET) have no body
 * and many answers are small, and two eager 16 KiB arrays per exchange were the relay's largest allocation
 * under load (JFR, bench/profile.sh).
 */
public final class FlowBuffer {
    /**
     * How much one direction may hold, and the initial HttpCore5 input window (both bootstraps are configured with
     * it): 64 KiB keeps a slow client from costing more than that per request.
     */
    public static final int HIGH_WATER = 64 * 1024;
    private static final int INITIAL = 16 * 1024;
    /**
     * Body chunks up to this size are copied into HttpCore5's session buffer behind the message head (its chunk
     * size hint), so a small message leaves in one write; larger ones are written from here directly. Below the
     * 8 KiB session buffer, so that a chunk never makes it grow.
     */
    public static final int COALESCE = 4 * 1024;
    /** HIGH_WATER plus one more read is all a direction can hold. */
    private static final int MAX = HIGH_WATER + INITIAL;
    private static final ByteBuffer NONE = ByteBuffer.allocate(0);
    /**
     * Buffers are lent for an exchange and returned at its end: growing a fresh array per exchange (16, 32, 64, then
     * 80 KiB) was ~190 KiB of garbage per 64 KiB answer, 54 % of all the relay allocated under the HTTP benchmark
     * (JFR). Direct, so that the write to the other side needs no copy by the JDK (see {@link BufferPool}); bounded
     * by bytes (64 keep-alive upstream connections, two directions each, fit).
     */
    private static final BufferPool SMALL = BufferPool.direct(INITIAL, 4L << 20);
    private static final BufferPool LARGE = BufferPool.direct(MAX, 16L << 20);

    private ByteBuffer buffer = NONE; // write mode
    private long received;
    private long granted = HIGH_WATER;

    /**
     * The capacity increment to send to the reader now (0 for none): enough that the reader's window plus what is
     * buffered reaches {@link #HIGH_WATER}. Counts it as granted.
     */
    public int takeGrant() {
        long window = granted - received;
        long wanted = (long) HIGH_WATER - buffer.position() - window;
        if (wanted <= 0) {
            return 0;
        }
        granted += wanted;
        return (int) wanted;
    }

    public int size() {
        return buffer.position();
    }

    /** Takes all of {@code src}: HttpCore5 reuses that buffer once consume() returns. */
    public void put(ByteBuffer src) {
        received += src.remaining();
        if (src.remaining() > buffer.remaining()) {
            // More than the window allows (HttpCore5 overshot) gets an array of its own: every byte is kept.
            grow(buffer.position() + src.remaining());
        }
        buffer.put(src);
    }

    /**
     * Reads at most {@code max} bytes from {@code channel} straight into the buffer, sparing the copy out of a read
     * buffer; never more than fits within {@link #HIGH_WATER} plus one read, which the window keeps it below.
     *
     * @return the bytes read, 0 for none, -1 at the end of the stream
     */
    public int readFrom(ReadableByteChannel channel, int max) throws IOException {
        int wanted = Math.min(max, MAX - buffer.position());
        if (wanted <= 0) {
            return 0;
        }
        if (wanted > buffer.remaining()) {
            grow(buffer.position() + wanted);
        }
        int limit = buffer.limit();
        buffer.limit(buffer.position() + wanted);
        int n;
        try {
            n = channel.read(buffer);
        } finally {
            buffer.limit(limit);
        }
        if (n > 0) {
            received += n;
        }
        return n;
    }

    /** Moves what is buffered to a buffer of at least {@code needed} bytes. */
    private void grow(int needed) {
        ByteBuffer bigger = needed <= INITIAL ? SMALL.acquire()
                : needed <= MAX ? LARGE.acquire()
                : ByteBuffer.allocate(needed);
        buffer.flip();
        bigger.put(buffer);
        giveBack(buffer);
        buffer = bigger;
    }

    /** Drops what is buffered (an answer replaced by an error before any of it was written). */
    public void discard() {
        buffer.clear();
    }

    /** The exchange is over: the array goes back to its pool (what it still holds is dropped). */
    public void release() {
        giveBack(buffer);
        buffer = NONE;
    }

    private static void giveBack(ByteBuffer array) {
        if (array.capacity() == INITIAL) {
            SMALL.release(array);
        } else if (array.capacity() == MAX) {
            LARGE.release(array);
        }
    }

    /** Bytes the relay made itself (an error body): not read from a peer, so not counted against a window. */
    public void put(byte[] bytes) {
        put(ByteBuffer.wrap(bytes));
        received -= bytes.length;
    }

    /** Writes as much as the channel takes now; returns the number of bytes written. */
    public int writeTo(DataStreamChannel channel) throws IOException {
        return writeTo(channel, Integer.MAX_VALUE);
    }

    /** Writes at most {@code max} bytes; returns the number of bytes written. */
    public int writeTo(DataStreamChannel channel, int max) throws IOException {
        if (buffer.position() == 0 || max <= 0) {
            return 0;
        }
        buffer.flip();
        int savedLimit = buffer.limit();
        if (buffer.remaining() > max) {
            buffer.limit(buffer.position() + max);
        }
        int total = 0;
        try {
            while (buffer.hasRemaining()) {
                int n = channel.write(buffer);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
        } finally {
            buffer.limit(savedLimit);
            buffer.compact();
        }
        return total;
    }
}

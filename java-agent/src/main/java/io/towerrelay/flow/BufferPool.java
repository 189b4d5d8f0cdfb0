package io.towerrelay.flow;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Free relay buffers of one size ({@link PipeBuffers} keeps one pool per size), lent to a pipe only while it holds
 * bytes: an idle tunnel (the usual state of a Tower live-events socket) holds none, and a busy one reuses the same
 * few buffers instead of allocating per chunk.
 *
 * <p>Bounded by bytes, not by a count that happens to fit one load: every pipe that holds bytes at the same moment
 * needs its own buffer, so the bound must cover as many busy pipes as the relay is expected to carry, or each chunk
 * beyond it allocates anew (JFR at 1,000 flooding sockets with the former cap of 256 buffers: 28 % of all the relay
 * allocated came from here). Buffers are pooled only once used, and buffers left unused for a whole
 * {@link #TRIM_PERIOD_NANOS} are dropped, so memory follows the busy moments, not the socket count.
 *
 * <p>The free buffers sit in a plain array under a lock: a pipe lends and returns a buffer about once per chunk,
 * and a linked queue allocated a node on every return (JFR under bench/profile.sh ws).
 */
public final class BufferPool {

    /**
     * Free buffers nobody took during a whole period are dropped at the next return to the pool: a burst (thousands
     * of handshakes at once, a flood on many sockets) does not leave its buffers behind in an idle relay.
     */
    static final long TRIM_PERIOD_NANOS = 5_000_000_000L;

    private final int bufferSize;
    private final ByteBuffer[] free; // a stack: the bottom entries are the ones unused the longest
    private int count;
    private int fewestFree;          // since the last trim: the bottom this many entries were not needed
    private long lastTrimNanos = System.nanoTime();

    /**
     * @param bufferSize     the size of every buffer lent
     * @param maxPooledBytes how much memory free buffers may hold at most (rounded down to whole buffers)
     */
    public BufferPool(int bufferSize, long maxPooledBytes) {
        this.bufferSize = bufferSize;
        this.free = new ByteBuffer[(int) Math.max(1, Math.min(Integer.MAX_VALUE, maxPooledBytes / bufferSize))];
    }

    int bufferSize() {
        return bufferSize;
    }

    int capacity() {
        return free.length;
    }

    synchronized int pooled() {
        return count;
    }

    public ByteBuffer acquire() {
        synchronized (this) {
            if (count > 0) {
                ByteBuffer buffer = free[--count];
                free[count] = null;
                fewestFree = Math.min(fewestFree, count);
                return buffer; // trimmed on release only: every loan ends in one, and one clock read per loan is enough
            }
            fewestFree = 0;
        }
        return ByteBuffer.allocate(bufferSize);
    }

    public void release(ByteBuffer buffer) {
        if (buffer.capacity() != bufferSize) {
            return;
        }
        buffer.clear();
        synchronized (this) {
            if (count < free.length) {
                free[count++] = buffer;
            }
            trimIfDue();
        }
    }

    /** Drops the buffers that stayed at the bottom of the stack for the whole last period. */
    private void trimIfDue() {
        long now = System.nanoTime();
        if (now - lastTrimNanos < TRIM_PERIOD_NANOS) {
            return;
        }
        int unused = Math.min(fewestFree, count);
        if (unused > 0) {
            System.arraycopy(free, unused, free, 0, count - unused);
            Arrays.fill(free, count - unused, count, null);
            count -= unused;
        }
        fewestFree = count;
        lastTrimNanos = now;
    }

    /** For tests: as if a trim period had passed. */
    synchronized void expireTrimPeriod() {
        lastTrimNanos = System.nanoTime() - TRIM_PERIOD_NANOS;
    }
}

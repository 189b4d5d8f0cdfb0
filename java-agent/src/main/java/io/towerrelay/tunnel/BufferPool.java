package io.towerrelay.tunnel;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fixed-size relay buffers, lent to a pipe only while it holds bytes. An idle tunnel (the usual state of a
 * Tower live-events socket) holds none, so 10,000 idle WebSockets cost no buffer memory, and a busy one
 * reuses the same few buffers instead of allocating per chunk.
 *
 * <p>The pool is bounded by bytes, not by a count that happens to fit one load: every pipe that holds bytes at
 * the same moment needs its own buffer, so the bound must cover as many busy pipes as the relay is expected to
 * carry (1,024 buffers of 32 KiB with the role's 256 MiB heap), or each chunk beyond it allocates anew (JFR at
 * 1,000 flooding sockets with the former cap of 256: 28 % of all the relay allocated came from here). Free
 * buffers are kept only once they have been used, so memory follows the busiest moment, not the socket count.
 *
 * <p>The free buffers sit in a plain array under a lock: a pipe lends and returns a buffer about once per chunk,
 * and a linked queue allocated a node on every return (JFR under bench/profile.sh ws).
 */
final class BufferPool {

    /**
     * 32 KiB: twice {@link Pipe#HIGH_WATER}, so that the slack above the high-water mark takes a whole TLS record's
     * plaintext (16 KiB), which a TLS session hands over in one piece. A job event is ~0.6 KiB.
     */
    static final int BUFFER_SIZE = 32 * 1024;

    /**
     * Free buffers nobody took during a whole period are dropped at the next use of the pool: a burst (thousands
     * of handshakes at once, a flood on many sockets) does not leave its buffers behind in an idle relay.
     */
    static final long TRIM_PERIOD_NANOS = 5_000_000_000L;

    private final ByteBuffer[] free; // a stack: the bottom entries are the ones unused the longest
    private int count;
    private int fewestFree;          // since the last trim: the bottom this many entries were not needed
    private long lastTrimNanos = System.nanoTime();

    /** @param maxPooledBytes how much memory free buffers may hold at most (rounded down to whole buffers) */
    BufferPool(long maxPooledBytes) {
        this.free = new ByteBuffer[(int) Math.max(1, Math.min(Integer.MAX_VALUE, maxPooledBytes / BUFFER_SIZE))];
    }

    /** A pool bounded by an eighth of the maximum heap, at most 32 MiB (1,024 busy pipes at once). */
    static BufferPool forHeap() {
        return new BufferPool(Math.min(32L << 20, Runtime.getRuntime().maxMemory() / 8));
    }

    int capacity() {
        return free.length;
    }

    synchronized int pooled() {
        return count;
    }

    ByteBuffer acquire() {
        synchronized (this) {
            if (count > 0) {
                ByteBuffer buffer = free[--count];
                free[count] = null;
                fewestFree = Math.min(fewestFree, count);
                trimIfDue();
                return buffer;
            }
            fewestFree = 0;
        }
        return ByteBuffer.allocate(BUFFER_SIZE);
    }

    void release(ByteBuffer buffer) {
        if (buffer.capacity() != BUFFER_SIZE) {
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

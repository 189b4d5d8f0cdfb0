package io.towerrelay.flow;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Free relay buffers of one size ({@link PipeBuffers} keeps one pool per size), lent to a pipe only while it holds
 * bytes: an idle tunnel (the usual state of a Tower live-events socket) holds none, and a busy one reuses the same
 * few buffers instead of allocating per chunk.
 *
 * <p>Bounded by bytes, not by a count that happens to fit one load: every pipe that holds bytes at the same moment
 * needs its own buffer, so the bound must cover as many busy pipes as the relay is expected to carry, or each chunk
 * beyond it allocates anew (JFR at 1,000 flooding sockets with the former cap of 256 buffers: 28 % of all the relay
 * allocated came from here). Buffers are pooled only once used, and a heap pool drops buffers left unused for a
 * whole {@link #TRIM_PERIOD_NANOS}, so memory follows the busy moments, not the socket count.
 *
 * <p>The free buffers sit in a plain array under a lock: a pipe lends and returns a buffer about once per chunk,
 * and a linked queue allocated a node on every return (JFR under bench/profile.sh ws).
 *
 * <p>A {@linkplain #direct direct} pool lends buffers outside the Java heap, for bytes that are only read from one
 * socket and written to another. The JDK reads and writes a heap buffer through a direct one of its own, a copy
 * each way, so a 64 KiB answer was copied three times; a direct buffer is handed to the system call as it is. A
 * direct buffer's memory is returned only when the collector finds its object unreachable, which for a pooled
 * buffer that lived long enough to be old can be never: so a direct pool never trims. It allocates direct buffers
 * up to its bound and keeps each for the life of the process, within {@link #DIRECT_BUDGET} for all pools
 * together; past either, it lends heap buffers, which are not kept. The collector then also never copies a busy
 * pipe's bytes (a flood through 1,000 sockets holds 32 MiB of them).
 */
public final class BufferPool {

    /**
     * The memory all direct pools together may hold: a quarter of the maximum heap. The JVM's default limit on direct
     * memory is the maximum heap itself, and the JDK's own temporary buffers count against it too.
     */
    static final long DIRECT_BUDGET = Runtime.getRuntime().maxMemory() / 4;
    private static final AtomicLong DIRECT_LEFT = new AtomicLong(DIRECT_BUDGET);

    /**
     * Free buffers nobody took during a whole period are dropped at the next return to the pool: a burst (thousands
     * of handshakes at once, a flood on many sockets) does not leave its buffers behind in an idle relay.
     */
    static final long TRIM_PERIOD_NANOS = 5_000_000_000L;

    private final int bufferSize;
    private final boolean direct;
    private final ByteBuffer[] free; // a stack: the bottom entries are the ones unused the longest
    private int count;
    private int directLent;          // direct buffers allocated so far (never more than free.length)
    private int fewestFree;          // since the last trim: the bottom this many entries were not needed
    private long lastTrimNanos = System.nanoTime();

    /**
     * @param bufferSize     the size of every buffer lent
     * @param maxPooledBytes how much memory free buffers may hold at most (rounded down to whole buffers)
     */
    public BufferPool(int bufferSize, long maxPooledBytes) {
        this(bufferSize, maxPooledBytes, false);
    }

    private BufferPool(int bufferSize, long maxPooledBytes, boolean direct) {
        this.bufferSize = bufferSize;
        this.direct = direct;
        this.free = new ByteBuffer[(int) Math.max(1, Math.min(Integer.MAX_VALUE, maxPooledBytes / bufferSize))];
    }

    /**
     * A pool of direct buffers, at most {@code maxBytes} of them (rounded down to whole buffers), allocated when
     * first needed and kept; heap buffers beyond that, or once {@link #DIRECT_BUDGET} is spent.
     */
    public static BufferPool direct(int bufferSize, long maxBytes) {
        return new BufferPool(bufferSize, maxBytes, true);
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
        boolean reserved;
        synchronized (this) {
            if (count > 0) {
                ByteBuffer buffer = free[--count];
                free[count] = null;
                fewestFree = Math.min(fewestFree, count);
                return buffer; // trimmed on release only: every loan ends in one, and one clock read per loan is enough
            }
            fewestFree = 0;
            reserved = direct && directLent < free.length && takeFromBudget();
            if (reserved) {
                directLent++;
            }
        }
        ByteBuffer buffer = reserved ? allocateDirect() : null; // outside the lock: it zeroes the memory
        return buffer != null ? buffer : ByteBuffer.allocate(bufferSize);
    }

    public void release(ByteBuffer buffer) {
        if (buffer.capacity() != bufferSize || (direct && !buffer.isDirect())) {
            return;
        }
        buffer.clear();
        synchronized (this) {
            if (count < free.length) {
                free[count++] = buffer;
            }
            if (!direct) {
                trimIfDue();
            }
        }
    }

    synchronized int directLent() {
        return directLent;
    }

    private boolean takeFromBudget() {
        return DIRECT_LEFT.getAndUpdate(left -> left >= bufferSize ? left - bufferSize : left) >= bufferSize;
    }

    /** Null when the JVM's direct memory limit (set lower than the heap with -XX:MaxDirectMemorySize) is reached. */
    private ByteBuffer allocateDirect() {
        try {
            return ByteBuffer.allocateDirect(bufferSize);
        } catch (OutOfMemoryError limitReached) {
            DIRECT_LEFT.set(0); // no pool tries again: each try makes the JDK run a full collection first
            return null;
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

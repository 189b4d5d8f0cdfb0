package io.towerrelay.tunnel;

import io.towerrelay.flow.BufferPool;
import java.nio.ByteBuffer;

/**
 * The buffers of all pipes: two pooled sizes and a read scratch per I/O thread.
 *
 * <p>Why two sizes: most of what a Tower socket carries is small (a job event is ~0.6 KiB, a subscription or its
 * answer ~0.1 KiB), but thousands of sockets may hold such a message at the same moment (every browser
 * re-subscribing after a restart): lending each a 32 KiB buffer then took 5,000 buffers, 160 MiB of heap, for
 * 9,800 sockets subscribing at once (heap dump under bench/run.sh --phases idle). A small message is read into
 * the thread's scratch and copied into a {@link #SMALL} buffer; a pipe that has just read a large chunk reads
 * straight into a {@link #LARGE} one, so a flood costs no copy.
 */
final class PipeBuffers {

    static final int SMALL = 2 * 1024;
    /**
     * 32 KiB: twice {@link Pipe#HIGH_WATER}, so that the slack above the high-water mark takes a whole TLS record's
     * plaintext (16 KiB), which a TLS session hands over in one piece.
     */
    static final int LARGE = 32 * 1024;

    private final BufferPool small;
    private final BufferPool large;
    private final ThreadLocal<ByteBuffer> scratch = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(LARGE));

    /** Direct buffers (a socket reads into them and another writes from them with no copy by the JDK). */
    PipeBuffers(long maxPooledSmallBytes, long maxPooledLargeBytes) {
        this.small = BufferPool.direct(SMALL, maxPooledSmallBytes);
        this.large = BufferPool.direct(LARGE, maxPooledLargeBytes);
    }

    /**
     * The process's pools, bounded by the maximum heap: large buffers up to an eighth of it, at most 32 MiB (1,024
     * pipes busy at once), small ones up to a 32nd, at most 8 MiB (4,096 pipes holding a message at once). One set
     * for every server in the process, since direct buffers are kept for its life.
     */
    static PipeBuffers shared() {
        return Shared.POOLS;
    }

    private static final class Shared {
        private static final long HEAP = Runtime.getRuntime().maxMemory();
        static final PipeBuffers POOLS = new PipeBuffers(Math.min(8L << 20, HEAP / 32), Math.min(32L << 20, HEAP / 8));
    }

    /** A pooled buffer that takes {@code bytes}: small when they fit, else large. */
    ByteBuffer acquire(int bytes) {
        return bytes <= SMALL ? small.acquire() : large.acquire();
    }

    ByteBuffer acquireLarge() {
        return large.acquire();
    }

    /** Back to its pool (buffers of other sizes are dropped). */
    void release(ByteBuffer buffer) {
        if (buffer.capacity() == SMALL) {
            small.release(buffer);
        } else {
            large.release(buffer);
        }
    }

    /** This I/O thread's scratch, cleared: valid until this thread's next call. Never lent out. */
    ByteBuffer scratch() {
        ByteBuffer buffer = scratch.get();
        buffer.clear();
        return buffer;
    }
}

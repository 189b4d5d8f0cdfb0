package io.towerrelay.tunnel;

import java.nio.ByteBuffer;

/**
 * Fixed-size relay buffers, lent to a pipe only while it holds bytes. An idle tunnel (the usual state of a
 * Tower live-events socket) holds none, so 10,000 idle WebSockets cost no buffer memory, and a busy one
 * reuses the same few buffers instead of allocating per chunk.
 *
 * <p>The free buffers sit in a plain array under a lock: a pipe lends and returns a buffer about once per chunk,
 * and a linked queue allocated a node on every return (JFR under bench/profile.sh ws).
 */
final class BufferPool {

    static final int BUFFER_SIZE = 64 * 1024;

    private final ByteBuffer[] free;
    private int count;

    BufferPool(int maxPooled) {
        this.free = new ByteBuffer[maxPooled];
    }

    ByteBuffer acquire() {
        synchronized (this) {
            if (count > 0) {
                ByteBuffer buffer = free[--count];
                free[count] = null;
                return buffer;
            }
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
        }
    }
}

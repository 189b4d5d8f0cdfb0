package io.towerrelay.reactor;

import java.nio.ByteBuffer;

/**
 * One I/O thread's free read buffers of one size ({@link SessionInput}). Lent and taken back once per input event
 * of every connection, so without a lock or a clock: only the owning thread uses the free list (a buffer given
 * back on another thread is left to the collector), and it keeps a few buffers at most. A thread needs one per
 * connection whose bytes wait between events (part of a head, a body beyond its window); past that, buffers are
 * allocated, as before there was a pool.
 */
final class ReadBuffers {
    /** Free buffers kept per thread and size. */
    static final int KEPT = 16;

    private final int size;
    private final Thread owner;
    private final ByteBuffer[] free = new ByteBuffer[KEPT];
    private int count;

    ReadBuffers(int size, Thread owner) {
        this.size = size;
        this.owner = owner;
    }

    int size() {
        return size;
    }

    /** An empty buffer of {@link #size}, in fill mode. */
    ByteBuffer lend() {
        if (count > 0 && Thread.currentThread() == owner) {
            ByteBuffer buffer = free[--count];
            free[count] = null;
            return buffer;
        }
        return ByteBuffer.allocate(size);
    }

    void giveBack(ByteBuffer buffer) {
        if (buffer.capacity() == size && count < free.length && Thread.currentThread() == owner) {
            buffer.clear();
            free[count++] = buffer;
        }
    }
}

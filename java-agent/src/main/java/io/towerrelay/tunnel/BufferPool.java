package io.towerrelay.tunnel;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fixed-size relay buffers, lent to a pipe only while it holds bytes. An idle tunnel (the usual state of a
 * Tower live-events socket) holds none, so 10,000 idle WebSockets cost no buffer memory, and a busy one
 * reuses the same few buffers instead of allocating per chunk.
 */
final class BufferPool {

    static final int BUFFER_SIZE = 64 * 1024;

    private final ConcurrentLinkedDeque<ByteBuffer> free = new ConcurrentLinkedDeque<>();
    private final AtomicInteger pooled = new AtomicInteger();
    private final int maxPooled;

    BufferPool(int maxPooled) {
        this.maxPooled = maxPooled;
    }

    ByteBuffer acquire() {
        ByteBuffer buffer = free.pollFirst();
        if (buffer == null) {
            return ByteBuffer.allocate(BUFFER_SIZE);
        }
        pooled.decrementAndGet();
        return buffer;
    }

    void release(ByteBuffer buffer) {
        if (buffer.capacity() != BUFFER_SIZE) {
            return;
        }
        if (pooled.incrementAndGet() <= maxPooled) {
            buffer.clear();
            free.offerFirst(buffer);
        } else {
            pooled.decrementAndGet();
        }
    }
}

package io.towerrelay.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hc.core5.http.nio.DataStreamChannel;

/**
 * The bytes of one body direction that the reading side has taken and the writing side has not yet written.
 * The window the reader grants ({@link #room()}) keeps it near {@link #HIGH_WATER}; it may grow a little past it
 * because HttpCore5 hands over whatever one socket read returned. Not thread-safe: callers hold the exchange lock.
 */
final class FlowBuffer {
    /** How much one direction may hold; 64 KiB keeps a slow client from costing more than that per request. */
    static final int HIGH_WATER = 64 * 1024;

    private ByteBuffer buffer = ByteBuffer.allocate(16 * 1024); // write mode

    int size() {
        return buffer.position();
    }

    /** How much more the reader may be allowed to send. */
    int room() {
        return Math.max(0, HIGH_WATER - buffer.position());
    }

    /** Takes all of {@code src}: HttpCore5 reuses that buffer once consume() returns. */
    void put(ByteBuffer src) {
        if (src.remaining() > buffer.remaining()) {
            int needed = buffer.position() + src.remaining();
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(needed, buffer.capacity() * 2));
            buffer.flip();
            bigger.put(buffer);
            buffer = bigger;
        }
        buffer.put(src);
    }

    void put(byte[] bytes) {
        put(ByteBuffer.wrap(bytes));
    }

    /** Writes as much as the channel takes now; returns the number of bytes written. */
    int writeTo(DataStreamChannel channel) throws IOException {
        return writeTo(channel, Integer.MAX_VALUE);
    }

    /** Writes at most {@code max} bytes; returns the number of bytes written. */
    int writeTo(DataStreamChannel channel, int max) throws IOException {
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

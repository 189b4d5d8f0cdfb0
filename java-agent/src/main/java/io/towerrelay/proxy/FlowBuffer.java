package io.towerrelay.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hc.core5.http.nio.DataStreamChannel;

/**
 * The bytes of one body direction that the reading side has taken and the writing side has not yet written.
 * The window the reader grants ({@link #room()}) keeps it near {@link #HIGH_WATER}; it may grow a little past it
 * because HttpCore5 hands over whatever one socket read returned. Not thread-safe: callers hold the exchange lock.
 *
 * <p>The array is allocated on the first byte, not with the exchange: most requests (every GET) have no body
 * and many answers are small, and two eager 16 KiB arrays per exchange were the relay's largest allocation
 * under load (JFR, bench/profile.sh).
 */
final class FlowBuffer {
    /** How much one direction may hold; 64 KiB keeps a slow client from costing more than that per request. */
    static final int HIGH_WATER = 64 * 1024;
    private static final int INITIAL = 16 * 1024;
    private static final ByteBuffer NONE = ByteBuffer.allocate(0);

    private ByteBuffer buffer = NONE; // write mode

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
            // Grow by doubling, but never far past the window: HIGH_WATER plus one more read is all it can hold.
            int grown = Math.min(Math.max(buffer.capacity() * 2, INITIAL), HIGH_WATER + INITIAL);
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(needed, grown));
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
        if (buffer.position() == 0) {
            return 0;
        }
        buffer.flip();
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
            buffer.compact();
        }
        return total;
    }
}

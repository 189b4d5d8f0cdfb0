package io.towerrelay.flow;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;

/**
 * A body consumer that can read its bytes from the connection itself, into its own buffer: for payload with no
 * framing among it, the connection's handler then need not read into its buffer and hand on a slice to be copied.
 * With a direct buffer, the JDK copies nothing either.
 */
public interface ChannelConsumer {
    /**
     * Reads at most {@code max} body bytes from {@code channel}, counted against the window like consumed bytes.
     *
     * @return the bytes read, 0 for none, -1 at the end of the stream
     */
    int consumeFrom(ReadableByteChannel channel, int max) throws IOException;
}

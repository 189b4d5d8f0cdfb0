package io.towerrelay.reactor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import org.apache.hc.core5.reactor.IOSession;

/** Writing an HTTP/1.1 handler's output buffer to its session. */
public final class SessionOutput {
    private SessionOutput() {
    }

    /**
     * Writes what {@code out} holds (fill mode) to {@code session}. What the socket did not take stays in
     * {@code out}, and write interest is set for it: the selector says when the socket takes more.
     *
     * @return the bytes written
     */
    public static int flush(ByteBuffer out, IOSession session) throws IOException {
        if (out.position() == 0) {
            return 0;
        }
        out.flip();
        int n = session.write(out);
        out.compact();
        if (out.position() > 0) {
            session.setEvent(SelectionKey.OP_WRITE);
        }
        return n;
    }
}

package io.towerrelay.reactor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import org.apache.hc.core5.reactor.IOSession;

/**
 * Makes HttpCore5's HTTP/1.1 input flow control hold. When a body's capacity window runs out, HttpCore5 clears
 * the session's read interest, but its input loop keeps calling the decoder while its session buffer has bytes
 * left, and the chunked decoder refills that buffer from the socket: with a fast peer (any loopback upstream) one
 * input event reads without limit. This wrapper answers reads with 0 while read interest is off, so the loop ends
 * and the window means what it says. Installed with the server's session decorator; everything else is passed
 * through ({@link ForwardingSession}), but a clear of interest the session does not have.
 */
public final class ReadInterestGate extends ForwardingSession {

    public ReadInterestGate(IOSession session) {
        super(session);
    }

    /**
     * Not passed on when no bit of {@code op} is set: HttpCore5 clears connect interest on every accepted session,
     * which never had it, and its session wakes the selector for any change, even none.
     */
    @Override
    public void clearEvent(int op) {
        if ((session.getEventMask() & op) != 0) {
            session.clearEvent(op);
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if ((session.getEventMask() & SelectionKey.OP_READ) == 0) {
            return 0;
        }
        return session.read(dst);
    }
}

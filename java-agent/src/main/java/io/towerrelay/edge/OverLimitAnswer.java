package io.towerrelay.edge;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * Takes over a connection past limits.max-connections from HttpCore5's HTTP handler and answers it with a fixed
 * {@code 503} without reading the request: the bytes are written straight to the session from the reactor thread
 * (non-blocking; what the socket does not take now goes out on the next write event).
 *
 * <p>After the answer is out the connection is not closed at once: a close with the client's request still unread
 * makes the kernel send a reset, and a reset can reach the client before it read the 503. So, like NGINX's lingering
 * close, it reads and discards until the client hangs up (it was told {@code Connection: close}), at most
 * {@link #DISCARD_LIMIT} bytes and for {@link #LINGER} after the connection came in, then closes. One small buffer
 * per refused connection, no HTTP parsing. (IOEventHandler is {@code @Internal} in HttpCore5; only ConnectionGate installs this.)
 */
final class OverLimitAnswer implements IOEventHandler {
    /** How long after it came in a refused connection is closed at the latest, answer read or not. */
    static final Timeout LINGER = Timeout.ofSeconds(2);
    /** A client still sending this much after being refused is not reading its answer: cut it. */
    static final int DISCARD_LIMIT = 64 * 1024;

    private static final Executor LINGER_TIMER = CompletableFuture.delayedExecutor(
            LINGER.toMilliseconds(), TimeUnit.MILLISECONDS);

    private final ByteBuffer answer;
    private final ByteBuffer discard = ByteBuffer.allocate(2048);
    private int discarded;

    OverLimitAnswer(int maxConnections) {
        this.answer = ByteBuffer.wrap(response(maxConnections));
    }

    /** The whole answer: status line, a few headers, and a body that says which limit was hit. */
    static byte[] response(int maxConnections) {
        String body = "503 Service Unavailable: tower-relay is at its connection limit (limits.max-connections = "
                + maxConnections + "); try again shortly\n";
        return ("HTTP/1.1 503 Service Unavailable\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length() + "\r\n"
                + "Retry-After: 1\r\n"
                + "Connection: close\r\n"
                + "\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Called by ConnectionGate right after it made this the session's handler: asks for a write event (the answer
     * goes out from the reactor's next turn) and starts the linger. On a plain listener HttpCore5 has not yet seen
     * the session; on a TLS listener the handshake is done and the HTTP handler was only told "connected".
     *
     * <p>The linger is a timer, not the session's socket timeout: on a TLS session HttpCore5 applies socket timeouts
     * only during the handshake, and the TLS start-up sets its own after this runs.
     */
    void start(IOSession session) {
        session.setEventMask(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        LINGER_TIMER.execute(() -> session.close(CloseMode.IMMEDIATE));
    }

    @Override
    public void connected(IOSession session) {
        // start() did the work: it runs from the session listener, before this is called (plain) or instead (TLS).
    }

    @Override
    public void inputReady(IOSession session, ByteBuffer src) {
        // TLS: decrypted bytes only arrive as src. Plain: src is null and the bytes wait in the socket.
        if (src != null) {
            discarded += src.remaining();
            src.position(src.limit());
        }
        try {
            for (int n; (n = session.read(discard.clear())) != 0; ) {
                if (n < 0) {
                    closeOnceAnswered(session); // the client hung up, as asked
                    return;
                }
                discarded += n;
                if (discarded > DISCARD_LIMIT) {
                    break;
                }
            }
        } catch (IOException e) {
            session.close(CloseMode.IMMEDIATE);
            return;
        }
        if (discarded > DISCARD_LIMIT) {
            session.close(CloseMode.IMMEDIATE);
        }
    }

    @Override
    public void outputReady(IOSession session) {
        try {
            if (answer.hasRemaining()) {
                session.write(answer);
            }
        } catch (IOException e) {
            session.close(CloseMode.IMMEDIATE);
            return;
        }
        if (!answer.hasRemaining()) {
            // Also reached by the write event that comes with every queued command (graceful shutdown).
            session.clearEvent(SelectionKey.OP_WRITE);
            for (Command command; (command = session.poll()) != null; ) {
                command.cancel();
                session.close(CloseMode.GRACEFUL);
            }
        }
    }

    @Override
    public void timeout(IOSession session, Timeout timeout) {
        // The listener's client-idle-timeout, on a plain session (the linger timer normally comes first).
        session.close(CloseMode.IMMEDIATE);
    }

    @Override
    public void exception(IOSession session, Exception cause) {
        session.close(CloseMode.IMMEDIATE);
    }

    @Override
    public void disconnected(IOSession session) {
        // Nothing held: ConnectionGate sees the disconnect through the session listener.
    }

    private void closeOnceAnswered(IOSession session) {
        session.close(answer.hasRemaining() ? CloseMode.IMMEDIATE : CloseMode.GRACEFUL);
    }
}

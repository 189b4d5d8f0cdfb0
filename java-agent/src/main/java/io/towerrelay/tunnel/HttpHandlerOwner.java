package io.towerrelay.tunnel;

import io.towerrelay.reactor.SharedReactor;
import io.towerrelay.server.ServerHttp1Handler;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;

/**
 * Finds the {@link ProtocolIOSession} (HttpCore5's per-connection channel) that owns the relay's HTTP/1.1 handler.
 *
 * <p>Why: a tunnel takes a client connection over with {@code IOSession.upgrade}, but the session the server's
 * listener hands us is the one under that channel, and the channel keeps its own reference to the handler it
 * installed. Upgrading only the session under it left every idle tunnel holding the replaced handler and its
 * buffers (the relay once ran out of a 256 MiB heap at ~7,500 idle WebSockets). Upgrading the channel itself
 * replaces both references. The handler knows the session it was made for; on a plain listener that is the I/O
 * thread's {@code DeferredOutputSession} in front of the channel ({@link SharedReactor#channelOf}).
 */
final class HttpHandlerOwner {

    private HttpHandlerOwner() {
    }

    /** The channel that owns {@code handler}, or null when it is not the relay's HTTP/1.1 handler. */
    static ProtocolIOSession of(IOEventHandler handler) {
        if (!(SharedReactor.unwrap(handler) instanceof ServerHttp1Handler http)) {
            return null;
        }
        IOSession session = SharedReactor.channelOf(http.session());
        return session instanceof ProtocolIOSession protocol && protocol.getHandler() == handler ? protocol : null;
    }
}

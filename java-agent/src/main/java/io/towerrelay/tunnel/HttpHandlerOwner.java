package io.towerrelay.tunnel;

import io.towerrelay.reactor.SharedReactor;
import java.lang.reflect.Field;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;

/**
 * Finds the {@link ProtocolIOSession} (HttpCore5's per-connection channel) that owns an HTTP/1.1 handler.
 *
 * <p>Why: a tunnel takes a client connection over with {@code IOSession.upgrade}, but the session the server's
 * listener hands us is the one under that channel, and the channel keeps its own reference to the handler it
 * installed ({@code InternalDataChannel.eventHandlerRef}). Upgrading only the session under it left every idle
 * tunnel holding the replaced handler, its stream duplexer and that duplexer's session buffers (~34 KiB of heap
 * per tunnel: the relay ran out of a 256 MiB heap at ~7,500 idle WebSockets). Upgrading the channel itself
 * replaces both references. HttpCore5 gives no way to that channel from an exchange or a session listener, so it
 * is read from the handler (the duplexer's session field), once per tunnel. When the fields are not found (a
 * different HttpCore5), the tunnel works as before and only the memory is not given back.
 */
final class HttpHandlerOwner {

    private static final Field DUPLEXER = field("org.apache.hc.core5.http.impl.nio.AbstractHttp1IOEventHandler",
            "streamDuplexer");
    private static final Field SESSION = field("org.apache.hc.core5.http.impl.nio.AbstractHttp1StreamDuplexer",
            "ioSession");

    private HttpHandlerOwner() {
    }

    /** The channel that owns {@code handler}, or null when it cannot be found. */
    static ProtocolIOSession of(IOEventHandler handler) {
        // On a plain listener the channel holds the I/O thread's round wrapper around HttpCore5's handler, and
        // the duplexer sees the channel through a DeferredOutputSession (reactor.SharedReactor).
        IOEventHandler http = SharedReactor.unwrap(handler);
        if (http == null || DUPLEXER == null || SESSION == null || !DUPLEXER.getDeclaringClass().isInstance(http)) {
            return null;
        }
        try {
            Object duplexer = DUPLEXER.get(http);
            Object session = duplexer == null ? null : SESSION.get(duplexer);
            if (session instanceof IOSession s) {
                session = SharedReactor.channelOf(s);
            }
            return session instanceof ProtocolIOSession protocol && protocol.getHandler() == handler ? protocol : null;
        } catch (IllegalAccessException | RuntimeException ex) {
            return null;
        }
    }

    private static Field field(String className, String name) {
        try {
            Field field = Class.forName(className, false, HttpHandlerOwner.class.getClassLoader()).getDeclaredField(name);
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException ex) {
            return null;
        }
    }
}

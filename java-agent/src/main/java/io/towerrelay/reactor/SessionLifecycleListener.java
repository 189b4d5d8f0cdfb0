package io.towerrelay.reactor;

import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.IOSessionListener;

/**
 * An {@link IOSessionListener} for listeners that care about a session's life (connected, TLS started,
 * disconnected), not its every I/O event: those default to nothing. HttpCore5 has no such adapter.
 */
public interface SessionLifecycleListener extends IOSessionListener {

    @Override
    default void startTls(IOSession session) {
    }

    @Override
    default void inputReady(IOSession session) {
    }

    @Override
    default void outputReady(IOSession session) {
    }

    @Override
    default void timeout(IOSession session) {
    }

    @Override
    default void exception(IOSession session, Exception ex) {
    }

    @Override
    default void disconnected(IOSession session) {
    }
}

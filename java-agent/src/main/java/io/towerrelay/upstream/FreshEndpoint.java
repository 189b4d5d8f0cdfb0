package io.towerrelay.upstream;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.AsyncPushConsumer;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOSession;

/**
 * An endpoint on a connection opened for one exchange, outside the keep-alive pool: a retry must not lease another
 * pooled connection the upstream may be closing at that moment. Closes the connection when released.
 */
public final class FreshEndpoint extends AsyncClientEndpoint {
    private final IOSession session;
    private final UpstreamHttp1Handler http;
    private final AtomicBoolean released = new AtomicBoolean();

    FreshEndpoint(IOSession session, UpstreamHttp1Handler http) {
        this.session = session;
        this.http = http;
    }

    @Override
    public void execute(AsyncClientExchangeHandler handler, HandlerFactory<AsyncPushConsumer> pushHandlerFactory,
            HttpContext context) {
        if (released.get()) {
            throw new IllegalStateException("Endpoint has already been released");
        }
        http.execute(handler, context);
    }

    @Override
    public boolean isConnected() {
        return !released.get() && session.isOpen();
    }

    /** The exchange completed; the connection is closed all the same (it is not the pool's). */
    @Override
    public void releaseAndReuse() {
        if (released.compareAndSet(false, true)) {
            session.close(CloseMode.GRACEFUL);
        }
    }

    @Override
    public void releaseAndDiscard() {
        if (released.compareAndSet(false, true)) {
            session.close(CloseMode.IMMEDIATE);
        }
    }
}

package io.towerrelay.upstream;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.AsyncPushConsumer;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.nio.command.RequestExecutionCommand;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOSession;

/**
 * An endpoint on a connection opened for one exchange, outside the keep-alive pool: a retry must not lease another
 * pooled connection the upstream may be closing at that moment. Executes the way HttpCore5's pooled endpoint does
 * (a {@link RequestExecutionCommand} on the session) and closes the connection when released.
 */
public final class FreshEndpoint extends AsyncClientEndpoint {
    private final IOSession session;
    private final AtomicBoolean released = new AtomicBoolean();

    public FreshEndpoint(IOSession session) {
        this.session = session;
    }

    @Override
    public void execute(AsyncClientExchangeHandler handler, HandlerFactory<AsyncPushConsumer> pushHandlerFactory,
            HttpContext context) {
        if (released.get()) {
            throw new IllegalStateException("Endpoint has already been released");
        }
        session.enqueue(new RequestExecutionCommand(handler, pushHandlerFactory, null, context), Command.Priority.NORMAL);
        if (!session.isOpen()) {
            try {
                handler.failed(new ConnectionClosedException());
            } finally {
                handler.releaseResources();
            }
        }
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

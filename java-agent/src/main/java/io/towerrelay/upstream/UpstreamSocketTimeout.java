package io.towerrelay.upstream;

import io.towerrelay.reactor.SessionLifecycleListener;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * Gives every new upstream connection upstream.response-timeout as its socket timeout. HttpAsyncRequester sets a
 * new connection's socket timeout to the timeout given to {@code connect} (the connect timeout), and the pooled
 * connection keeps it: a Tower call slower than connect-timeout got a 504 on a fresh connection. The listener's
 * {@code connected} runs on the connection's I/O thread after the requester's own setting and before the first
 * request goes out. (Session decorators cannot do this: HttpCore5 sets socket timeouts below them.)
 */
final class UpstreamSocketTimeout implements SessionLifecycleListener {
    private final Timeout responseTimeout;

    UpstreamSocketTimeout(Timeout responseTimeout) {
        this.responseTimeout = responseTimeout;
    }

    @Override
    public void connected(IOSession session) {
        session.setSocketTimeout(responseTimeout);
    }
}

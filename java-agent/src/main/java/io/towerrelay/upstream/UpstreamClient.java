package io.towerrelay.upstream;

import io.towerrelay.flow.FlowBuffer;
import io.towerrelay.http.HeadBytes;
import io.towerrelay.http.MessageFraming;
import io.towerrelay.reactor.ReadInterestGate;
import io.towerrelay.tls.TlsContexts;
import io.towerrelay.admin.UpstreamPoolStats;
import io.towerrelay.config.UpstreamConfig;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import io.towerrelay.tls.PlainUpstreamTls;
import javax.net.ssl.SSLContext;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.bootstrap.AsyncRequesterBootstrap;
import org.apache.hc.core5.http.impl.bootstrap.HttpAsyncRequester;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.protocol.HttpProcessorBuilder;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.pool.PoolStats;
import org.apache.hc.core5.reactor.EndpointParameters;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The upstream side: HttpCore5's {@link HttpAsyncRequester} with a keep-alive pool. Chosen over httpclient5's
 * async client because a proxy wants the bare exchange (no redirects, cookies, auth, retries or added headers)
 * and the requester's endpoint lease lets the relay decide per exchange whether the connection is reusable.
 */
public final class UpstreamClient {
    private final HttpAsyncRequester requester;
    private final Timeout connectTimeout;
    private final Timeout responseTimeout;
    private final KeepAliveDeadlines keepAlive = new KeepAliveDeadlines();
    /**
     * Hands back connections leased for clients that left meanwhile. Not on the thread that got the lease: the
     * pool completes the next waiting lease inside {@code release}, and when that one's client is gone too, a
     * release from its callback nests again; a few thousand vanished clients overflowed the stack.
     */
    private final ExecutorService unusedReturns = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "upstream-pool-return");
        t.setDaemon(true);
        return t;
    });

    private UpstreamClient(HttpAsyncRequester requester, Timeout connectTimeout, Timeout responseTimeout) {
        this.requester = requester;
        this.connectTimeout = connectTimeout;
        this.responseTimeout = responseTimeout;
    }

    /**
     * One requester for every node: HttpCore5 pools per route (per node's {@link HttpHost}), so each node gets its
     * own keep-alive pool of {@code upstream.pool-size} while all share one set of I/O threads (a requester per node
     * would add a reactor thread per core per node on machines with two cores).
     */
    public static UpstreamClient start(UpstreamConfig config, SSLContext sslContext) {
        AsyncRequesterBootstrap bootstrap = AsyncRequesterBootstrap.bootstrap()
                .setIOReactorConfig(IOReactorConfig.custom()
                        // Between two reads of a response: past it the exchange fails and the client gets 504.
                        // It also closes pooled connections idle that long.
                        .setSoTimeout(config.responseTimeout())
                        .setTcpNoDelay(true)
                        .setSoKeepAlive(true)
                        .setIoThreadCount(Math.max(1, Runtime.getRuntime().availableProcessors()))
                        .build())
                // Only framing: no User-Agent, no Expect, no Host rewriting; the request is the client's.
                .setHttp1Config(Http1Config.custom().setInitialWindowSize(FlowBuffer.HIGH_WATER).build())
                .setHttpProcessor(HttpProcessorBuilder.create().add(MessageFraming.REQUEST).build())
                .setCharCodingConfig(HeadBytes.CODING)
                .setIOSessionDecorator(ReadInterestGate::new)
                .setIOSessionListener(new UpstreamSocketTimeout(config.responseTimeout()))
                .setMaxTotal(config.poolSize() * Math.max(1, config.nodes().size()))
                .setDefaultMaxPerRoute(config.poolSize())
                .setPoolReusePolicy(PoolReusePolicy.LIFO)
                .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX);
        if (sslContext != null) {
            bootstrap.setTlsStrategy(TlsContexts.clientStrategy(sslContext, config.tlsVerify()))
                    .setTlsHandshakeTimeout(config.connectTimeout());
        } else {
            bootstrap.setTlsStrategy(PlainUpstreamTls.INSTANCE); // else HttpCore5 builds an unused default SSLContext
        }
        HttpAsyncRequester requester = bootstrap.create();
        requester.start();
        return new UpstreamClient(requester, config.connectTimeout(), config.responseTimeout());
    }

    public UpstreamPoolStats poolStats() {
        PoolStats stats = requester.getTotalStats();
        return new UpstreamPoolStats(stats.getLeased(), stats.getPending(), stats.getAvailable(), stats.getMax());
    }

    /** Leases a pooled connection to {@code node} or opens one; the callback runs on an upstream I/O thread. */
    public Future<AsyncClientEndpoint> connect(Node node, FutureCallback<AsyncClientEndpoint> callback) {
        return requester.connect(node.host(), connectTimeout, null, callback);
    }

    /**
     * Opens a new connection outside the pool, for a retry: a second pooled connection could be one the upstream is
     * closing at that very moment, as the first was. Released, it is closed. TLS starts as for pooled connections
     * (the requester's handler factory starts it for an https {@link EndpointParameters}).
     */
    public void connectFresh(Node node, FutureCallback<AsyncClientEndpoint> callback) {
        connectFresh(node, responseTimeout, callback);
    }

    /** As {@link #connectFresh(Node, FutureCallback)}, waiting at most {@code socketTimeout} between reads. */
    public void connectFresh(Node node, Timeout socketTimeout, FutureCallback<AsyncClientEndpoint> callback) {
        HttpHost target = node.host();
        requester.requestSession(target, connectTimeout, new EndpointParameters(target, null), new FutureCallback<IOSession>() {
            @Override
            public void completed(IOSession session) {
                session.setSocketTimeout(socketTimeout);
                callback.completed(new FreshEndpoint(session));
            }

            @Override
            public void failed(Exception ex) {
                callback.failed(ex);
            }

            @Override
            public void cancelled() {
                callback.cancelled();
            }
        });
    }

    /** The upstream's Keep-Alive timeouts, per pooled connection. */
    public KeepAliveDeadlines keepAlive() {
        return keepAlive;
    }

    /** Gives back a connection leased for an exchange whose client left before it was used. */
    public void returnUnused(AsyncClientEndpoint endpoint) {
        try {
            unusedReturns.execute(endpoint::releaseAndReuse);
        } catch (RejectedExecutionException ex) {
            endpoint.releaseAndDiscard(); // shutting down
        }
    }

    public void close(TimeValue grace) {
        unusedReturns.shutdown();
        requester.initiateShutdown();
        try {
            requester.awaitShutdown(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        requester.close(CloseMode.IMMEDIATE);
    }
}
